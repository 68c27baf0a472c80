"""Requests validated, replies cut to the request's limits, chunks shaped like OpenAI's."""

from __future__ import annotations

from typing import Any

import pytest
from pydantic import ValidationError

from embedded.llm.completion import chunks, completion, plan_reply
from embedded.llm.server import DEFAULT_WORD_DELAY_S, StandInSettings
from embedded.llm.wire import ChatCompletionRequest

SYSTEM = "Make small talk with the user."


def request(**fields: Any) -> ChatCompletionRequest:
    body: dict[str, Any] = {
        "model": "unmute-standin",
        "messages": [{"role": "system", "content": SYSTEM}, {"role": "user", "content": "Hi!"}],
        "temperature": 0,
    }
    return ChatCompletionRequest.model_validate(body | fields)


def test_a_reply_is_planned_word_by_word() -> None:
    reply = plan_reply(request())
    assert reply.finish_reason == "stop"
    assert reply.words == reply.text.split() and len(reply.words) > 3
    assert reply.usage.completion_tokens == len(reply.words)
    assert reply.usage.prompt_tokens == len(SYSTEM.split()) + 1


def test_max_tokens_caps_the_words_and_says_so() -> None:
    reply = plan_reply(request(max_tokens=3))
    assert len(reply.words) == 3 and reply.finish_reason == "length"
    assert len(plan_reply(request(max_completion_tokens=2)).words) == 2


def test_a_stop_sequence_ends_the_reply_early() -> None:
    full = plan_reply(request()).text
    cut = plan_reply(request(stop=["!"])).text
    assert cut == full.split("!")[0] and cut != full


def test_developer_messages_count_as_system_and_tool_messages_are_ignored() -> None:
    messages = [
        {"role": "developer", "content": "You are Captain Flint, a grumpy pirate."},
        {"role": "user", "content": [{"type": "text", "text": "What's your name?"}]},
        {"role": "tool", "content": "42", "tool_call_id": "x"},
    ]
    assert "Captain Flint" in plan_reply(request(messages=messages)).text


def test_the_model_name_is_echoed() -> None:
    assert plan_reply(request(model="gemma-3")).model == "gemma-3"


def test_a_completion_has_one_assistant_choice_and_usage() -> None:
    body = completion(plan_reply(request())).model_dump()
    assert body["object"] == "chat.completion"
    assert body["id"].startswith("chatcmpl-")
    (choice,) = body["choices"]
    assert choice["message"]["role"] == "assistant" and choice["finish_reason"] == "stop"
    usage = body["usage"]
    assert usage["total_tokens"] == usage["prompt_tokens"] + usage["completion_tokens"]


def test_chunks_open_with_the_role_carry_words_then_finish() -> None:
    reply = plan_reply(request())
    dumped = [c.model_dump() for c in chunks(reply, include_usage=False)]
    assert {c["id"] for c in dumped} == {reply.id}
    assert {c["object"] for c in dumped} == {"chat.completion.chunk"}
    assert dumped[0]["choices"][0]["delta"] == {"role": "assistant", "content": ""}
    words = [c["choices"][0]["delta"]["content"] for c in dumped[1:-1]]
    assert words[0] == reply.words[0] and all(w.startswith(" ") for w in words[1:])
    assert "".join(words) == reply.text
    assert dumped[-1]["choices"][0] == {
        "index": 0,
        "delta": {},
        "logprobs": None,
        "finish_reason": "stop",
    }


def test_usage_comes_last_in_a_chunk_without_choices_when_asked() -> None:
    reply = plan_reply(request())
    last = list(chunks(reply, include_usage=True))[-1].model_dump()
    assert last["choices"] == [] and last["usage"]["completion_tokens"] == len(reply.words)


@pytest.mark.parametrize(
    "fields",
    [
        {"messages": []},
        {"messages": [{"role": "robot", "content": "hi"}]},
        {"messages": [{"content": "hi"}]},
        {"temperature": 3},
        {"max_tokens": 0},
        {"n": 2},
        {"stream": "sometimes"},
    ],
)
def test_bad_requests_are_rejected(fields: dict[str, Any]) -> None:
    with pytest.raises(ValidationError):
        request(**fields)


def test_unknown_openai_fields_are_accepted() -> None:
    assert request(presence_penalty=0.5, tools=[], user="x").stream is False


def test_the_word_delay_comes_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    assert StandInSettings().word_delay_s == DEFAULT_WORD_DELAY_S
    monkeypatch.setenv("UNMUTE_LLM_STANDIN_WORD_DELAY_S", "0.2")
    assert StandInSettings().word_delay_s == 0.2
    monkeypatch.setenv("UNMUTE_LLM_STANDIN_WORD_DELAY_S", "-1")
    with pytest.raises(ValidationError):
        StandInSettings()
