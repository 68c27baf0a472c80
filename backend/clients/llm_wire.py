"""What the client reads of an OpenAI-compatible server's answers: only the fields it uses
(servers add many more), as pydantic models."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel


class ModelEntry(BaseModel):
    id: str


class ModelList(BaseModel):
    data: list[ModelEntry]


class FunctionDelta(BaseModel):
    name: str | None = None
    arguments: str | None = None


class ToolCallDeltaChunk(BaseModel):
    index: int = 0
    id: str | None = None
    function: FunctionDelta = FunctionDelta()


class Delta(BaseModel):
    content: str | None = None
    tool_calls: list[ToolCallDeltaChunk] | None = None
    reasoning_content: str | None = None  # vLLM, DeepSeek, llama.cpp
    reasoning: str | None = None  # OpenRouter, Ollama


class Choice(BaseModel):
    delta: Delta = Delta()


class PromptDetails(BaseModel):
    cached_tokens: int | None = None


class Usage(BaseModel):
    prompt_tokens: int = 0
    completion_tokens: int = 0
    prompt_tokens_details: PromptDetails | None = None


class Chunk(BaseModel):
    choices: list[Choice] | None = None
    error: Any = None  # OpenRouter reports mid-stream failures this way
    usage: Usage | None = None  # the last chunk, when `stream_options.include_usage`
