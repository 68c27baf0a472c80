"""A streamed completion put together from scripted chunks, no server."""

from __future__ import annotations

from typing import Any

import pytest

from backend.clients.llm_errors import LlmError
from backend.clients.llm_turn import LlmUsage, StreamedTurn, ToolCall, ToolCallDelta, TurnPiece
from backend.clients.llm_wire import Chunk


def chunk(**delta: Any) -> Chunk:
    return Chunk.model_validate({"choices": [{"delta": delta}]})


def run(*chunks: Chunk) -> list[TurnPiece]:
    turn = StreamedTurn()
    pieces = [piece for c in chunks for piece in turn.feed(c)]
    return pieces + list(turn.finish())


def test_text_is_spoken_without_its_leading_blank_lines_and_reasoning_is_held_back() -> None:
    pieces = run(
        chunk(reasoning_content="Let me think."),
        chunk(content="<think>more</think>\n\nHello"),
        chunk(content=" there."),
    )
    assert pieces == ["Hello", " there."]


def test_a_model_that_only_reasoned_speaks_the_end_of_its_reasoning() -> None:
    pieces = run(chunk(reasoning="The answer is four."))
    assert pieces == ["The answer is four."]


def test_tool_calls_stream_once_named_and_come_whole_at_the_end_then_usage() -> None:
    usage = Chunk.model_validate(
        {"usage": {"prompt_tokens": 9, "completion_tokens": 3, "prompt_tokens_details": None}}
    )
    pieces = run(
        chunk(tool_calls=[{"index": 0, "id": "c1", "function": {"arguments": ""}}]),
        chunk(tool_calls=[{"index": 0, "function": {"name": "weather", "arguments": '{"a"'}}]),
        chunk(tool_calls=[{"index": 0, "function": {"arguments": ": 1}"}}]),
        usage,
    )
    assert pieces == [
        ToolCallDelta("c1", "weather", '{"a"'),
        ToolCallDelta("c1", "weather", ": 1}"),
        ToolCall("c1", "weather", '{"a": 1}'),
        LlmUsage(9, 3, 0),
    ]


def test_text_before_a_nameless_tool_call_is_still_had_before_the_error() -> None:
    turn = StreamedTurn()
    turn.feed(chunk(tool_calls=[{"index": 0, "function": {"arguments": "{}"}}]))
    assert turn.feed(chunk(content="Sure <th")) == ["Sure "]  # "<th" may open a tag
    ending = turn.finish()
    assert next(ending) == "<th"
    with pytest.raises(LlmError, match="no name"):
        next(ending)


def test_an_error_reported_mid_stream_is_an_llm_error() -> None:
    with pytest.raises(LlmError, match="mid-stream: overloaded"):
        StreamedTurn().feed(Chunk.model_validate({"error": "overloaded"}))
