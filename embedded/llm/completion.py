"""One chat completion as OpenAI wire objects: streamed chunks, or the whole reply at once.

A stream opens with the assistant role, carries the text as the model writes it, ends
with an empty delta and the finish reason, then (when asked) a chunk with only usage.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from embedded.llm.generation import GenerationResult
from embedded.llm.wire import (
    AssistantMessage,
    ChatCompletion,
    ChatCompletionChunk,
    Choice,
    ChunkChoice,
    Delta,
    FinishReason,
    PromptTokensDetails,
    Usage,
    new_completion_id,
    now,
)


@dataclass(frozen=True)
class Reply:
    """What every chunk of one completion repeats."""

    model: str
    id: str = field(default_factory=new_completion_id)
    created: int = field(default_factory=now)

    def chunk(self, delta: Delta, finish_reason: FinishReason | None = None) -> ChatCompletionChunk:
        return ChatCompletionChunk(
            id=self.id,
            created=self.created,
            model=self.model,
            choices=[ChunkChoice(delta=delta, finish_reason=finish_reason)],
        )

    def opening(self) -> ChatCompletionChunk:
        return self.chunk(Delta(role="assistant", content=""))

    def text(self, text: str) -> ChatCompletionChunk:
        return self.chunk(Delta(content=text))

    def ending(self, result: GenerationResult) -> ChatCompletionChunk:
        return self.chunk(Delta(), result.finish_reason)

    def usage(self, result: GenerationResult) -> ChatCompletionChunk:
        return ChatCompletionChunk(
            id=self.id, created=self.created, model=self.model, choices=[], usage=usage(result)
        )

    def whole(self, text: str, result: GenerationResult) -> ChatCompletion:
        return ChatCompletion(
            id=self.id,
            created=self.created,
            model=self.model,
            choices=[
                Choice(message=AssistantMessage(content=text), finish_reason=result.finish_reason)
            ],
            usage=usage(result),
        )


def usage(result: GenerationResult) -> Usage:
    return Usage(
        prompt_tokens=result.prompt_tokens,
        completion_tokens=result.completion_tokens,
        total_tokens=result.prompt_tokens + result.completion_tokens,
        prompt_tokens_details=PromptTokensDetails(cached_tokens=result.cached_tokens),
    )
