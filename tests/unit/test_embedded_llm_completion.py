"""Requests validated, and a reply shaped like OpenAI's: chunks, whole completions, usage."""

from __future__ import annotations

from typing import Any

import pytest
from pydantic import ValidationError

from embedded.llm.completion import Reply
from embedded.llm.generation import GenerationResult
from embedded.llm.wire import ChatCompletionRequest

RESULT = GenerationResult("stop", prompt_tokens=40, cached_tokens=32, completion_tokens=5)


def request(**fields: Any) -> ChatCompletionRequest:
    body: dict[str, Any] = {"messages": [{"role": "user", "content": "Hi!"}]}
    return ChatCompletionRequest.model_validate(body | fields)


def test_a_minimal_request_gets_openai_defaults() -> None:
    parsed = request()
    assert parsed.model is None and not parsed.stream
    assert (parsed.temperature, parsed.top_p) == (1.0, 1.0)
    assert parsed.token_limit() is None and parsed.stop_sequences() == []


def test_limits_and_stops_are_read_the_ways_clients_send_them() -> None:
    assert request(max_tokens=7).token_limit() == 7
    assert request(max_completion_tokens=5, max_tokens=7).token_limit() == 5
    assert request(stop="\n").stop_sequences() == ["\n"]
    assert request(stop=["a", "", "b"]).stop_sequences() == ["a", "b"]


def test_unknown_fields_are_accepted_and_out_of_range_ones_refused() -> None:
    assert request(logit_bias={"1": 5}, tools=[]).messages
    for bad in ({"temperature": 3}, {"top_p": 0}, {"max_tokens": 0}, {"n": 2}, {"messages": []}):
        with pytest.raises(ValidationError):
            request(**bad)


def test_a_stream_opens_with_the_role_carries_text_and_ends_with_the_reason() -> None:
    reply = Reply(model="tiny")
    opening, text, ending = reply.opening(), reply.text(" Paris."), reply.ending(RESULT)
    assert {opening.id, text.id, ending.id} == {reply.id}
    assert opening.model_dump()["choices"][0]["delta"] == {"role": "assistant", "content": ""}
    assert text.model_dump()["choices"][0]["delta"] == {"content": " Paris."}
    assert ending.model_dump()["choices"][0] == {
        "index": 0,
        "delta": {},
        "logprobs": None,
        "finish_reason": "stop",
    }


def test_usage_reports_the_reused_prompt_tokens() -> None:
    chunk = Reply(model="tiny").usage(RESULT).model_dump()
    assert chunk["choices"] == []
    assert chunk["usage"] == {
        "prompt_tokens": 40,
        "completion_tokens": 5,
        "total_tokens": 45,
        "prompt_tokens_details": {"cached_tokens": 32},
    }


def test_a_whole_completion_has_one_assistant_choice() -> None:
    whole = Reply(model="tiny").whole("Paris.", RESULT).model_dump()
    assert whole["object"] == "chat.completion" and whole["model"] == "tiny"
    (choice,) = whole["choices"]
    assert choice["message"] == {"role": "assistant", "content": "Paris."}
    assert choice["finish_reason"] == "stop"
    assert whole["usage"]["total_tokens"] == 45
