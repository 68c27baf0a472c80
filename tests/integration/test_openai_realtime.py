"""The official `openai` SDK's realtime client holds conversations with the backend's OpenAI
route, over real sockets, with scripted STT, TTS and LLM servers behind it: spoken (PCM16
in, audio and transcripts out), text only, push-to-talk, barge-in with `item.truncate`,
and a function-call round trip. Every server event is validated by the SDK's models."""

from __future__ import annotations

import base64
import json
import warnings
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import numpy as np
import numpy.typing as npt
import pytest
import soxr
from openai import AsyncOpenAI
from openai.types.realtime import RealtimeConversationItemFunctionCall
from websockets.asyncio.client import connect
from websockets.exceptions import InvalidStatus
from websockets.typing import Subprotocol

from tests.doubles.llm_double import LlmDouble, ScriptedReply, ToolCallScript
from tests.doubles.stt_double import SttDouble
from tests.doubles.tts_double import TtsDouble
from tests.integration.backend_server import backend_in_process
from tests.integration.openai_client import OpenAiClient, pcm16
from tests.integration.realtime_client import tone

pytestmark = pytest.mark.integration

ANSWER = "It is nine o'clock in the morning."
LONG_STORY = " ".join(["Once upon a time there was a very long story."] * 4)
WEATHER_TOOL = {
    "type": "function",
    "name": "get_weather",
    "description": "The weather in a city.",
    "parameters": {
        "type": "object",
        "properties": {"city": {"type": "string"}},
        "required": ["city"],
    },
}


@asynccontextmanager
async def stack(
    utterances: list[list[str]], replies: Any, **settings: Any
) -> AsyncIterator[tuple[str, LlmDouble, TtsDouble]]:
    stt = SttDouble(utterances)
    tts = TtsDouble(word_duration_s=0.15)
    llm = LlmDouble(replies)
    async with (
        stt,
        tts,
        llm,
        backend_in_process(stt_url=stt.url, tts_url=tts.url, llm_url=llm.url, **settings) as addr,
    ):
        yield addr, llm, tts


def response_event_order(client: OpenAiClient, response_id: str) -> list[str]:
    """The types of one response's events, in order (`conversation.item.*` left out)."""
    return [
        r.event.type
        for r in client.received
        if getattr(r.event, "response_id", None) == response_id
        or (
            r.event.type in ("response.created", "response.done")
            and r.event.response.id == response_id
        )
    ]


def collapse(types: list[str]) -> list[str]:
    """Runs of the same type as one."""
    return [t for i, t in enumerate(types) if i == 0 or types[i - 1] != t]


async def test_a_spoken_conversation_with_server_turn_detection() -> None:
    async with (
        stack([["what", "time", "is", "it"]], [ANSWER]) as (address, llm, _),
        OpenAiClient(address) as client,
    ):
        await client.wait_count("session.created", 1, timeout=5)
        await client.send(
            {"type": "session.update", "session": {"type": "realtime", "instructions": "Be brief."}}
        )
        await client.wait_count("session.updated", 1, timeout=5)
        assert client.types()[:2] == ["session.created", "session.updated"]
        assert "response.created" not in client.types(), "an API client speaks first"

        client.say(tone(1.2))
        await client.wait_count("response.done", 1, timeout=15)

        started = client.of_type("input_audio_buffer.speech_started")[0]
        stopped = client.of_type("input_audio_buffer.speech_stopped")[0]
        committed = client.of_type("input_audio_buffer.committed")[0]
        assert started.item_id == stopped.item_id == committed.item_id
        deltas = client.of_type("conversation.item.input_audio_transcription.delta")
        assert "".join(d.delta for d in deltas) == "what time is it"
        completed = client.of_type("conversation.item.input_audio_transcription.completed")[0]
        assert completed.item_id == committed.item_id
        assert completed.transcript == "what time is it"

        done = client.of_type("response.done")[0]
        assert done.response.status == "completed"
        assert done.response.usage is not None
        order = collapse(response_event_order(client, done.response.id))
        assert order[:4] == [
            "response.created",
            "response.output_item.added",
            "response.content_part.added",
            "response.output_audio_transcript.delta",
        ], order
        assert order[-5:] == [
            "response.output_audio.done",
            "response.output_audio_transcript.done",
            "response.content_part.done",
            "response.output_item.done",
            "response.done",
        ], order
        assert set(order[3:-5]) == {
            "response.output_audio_transcript.delta",
            "response.output_audio.delta",
        }, order
        transcript = client.of_type("response.output_audio_transcript.done")[0].transcript
        assert transcript == ANSWER
        assert (
            "".join(d.delta for d in client.of_type("response.output_audio_transcript.delta"))
            == ANSWER
        )
        audio = client.bot_audio(done.response.id)
        assert audio.size > 0.5 * 24_000
        assert float(np.sqrt(np.mean(audio**2))) > 0.01, "the answer is audible"
        assert client.of_type("error") == []

        # The LLM got the session's instructions and the user's words.
        messages = llm.requests[0].messages
        assert messages[0] == {"role": "system", "content": "Be brief."}
        assert messages[-1] == {"role": "user", "content": "what time is it"}


async def test_a_text_only_conversation() -> None:
    async with (
        stack([], ["Hello, nice to meet you."]) as (address, llm, tts),
        OpenAiClient(address, audio=False) as client,
    ):
        await client.send(
            {
                "type": "session.update",
                "session": {
                    "type": "realtime",
                    "output_modalities": ["text"],
                    "audio": {"input": {"turn_detection": None}},
                },
            }
        )
        await client.wait_count("session.updated", 1, timeout=5)
        updated = client.of_type("session.updated")[0].session
        assert updated.output_modalities == ["text"]
        assert updated.audio.input.turn_detection is None
        await client.send(
            {
                "type": "conversation.item.create",
                "item": {
                    "type": "message",
                    "role": "user",
                    "content": [{"type": "input_text", "text": "Hi there"}],
                },
            }
        )
        await client.send({"type": "response.create"})
        await client.wait_count("response.done", 1, timeout=10)

        done = client.of_type("response.done")[0]
        assert done.response.status == "completed"
        assert done.response.output_modalities == ["text"]
        text = "".join(d.delta for d in client.of_type("response.output_text.delta"))
        assert text == "Hello, nice to meet you."
        assert client.of_type("response.output_text.done")[0].text == text
        assert client.of_type("response.output_audio.delta") == []
        assert tts.words_received == [], "a text reply opens no TTS stream"
        # Usage is the LLM server's own count (the double counts a word as a token).
        assert llm.requests[0].body["stream_options"] == {"include_usage": True}
        prompt_words = sum(len(m["content"].split()) for m in llm.requests[0].messages)
        usage = done.response.usage
        assert (usage.input_tokens, usage.output_tokens) == (prompt_words, len(text.split()))
        assert usage.total_tokens == usage.input_tokens + usage.output_tokens

        assistant_id = done.response.output[0].id
        await client.send({"type": "conversation.item.retrieve", "item_id": assistant_id})
        await client.wait_count("conversation.item.retrieved", 1, timeout=5)
        item = client.of_type("conversation.item.retrieved")[0].item
        assert item.role == "assistant" and item.content[0].text == text
        assert llm.requests[0].messages[-1] == {"role": "user", "content": "Hi there"}
        assert client.of_type("error") == []


async def test_push_to_talk_commits_and_asks_for_the_response() -> None:
    async with (
        stack([["tell", "me", "a", "joke"]], ["Knock knock."]) as (address, llm, _),
        OpenAiClient(address) as client,
    ):
        await client.send(
            {
                "type": "session.update",
                "session": {"type": "realtime", "audio": {"input": {"turn_detection": None}}},
            }
        )
        await client.wait_count("session.updated", 1, timeout=5)
        client.say(tone(1.0))
        await client.wait_for(lambda c: c.samples_sent > 1.3 * 24_000, 10, "the question sent")
        await client.send({"type": "input_audio_buffer.commit"})
        await client.send({"type": "response.create"})
        await client.wait_count("response.done", 1, timeout=15)

        types = client.types()
        assert "input_audio_buffer.speech_started" not in types, "no server turn detection"
        assert "input_audio_buffer.speech_stopped" not in types
        committed = client.of_type("input_audio_buffer.committed")[0]
        completed = client.of_type("conversation.item.input_audio_transcription.completed")[0]
        assert completed.item_id == committed.item_id
        assert completed.transcript == "tell me a joke"
        assert types.index("conversation.item.input_audio_transcription.completed") < types.index(
            "response.created"
        ), "the response waits for the user's last words"
        assert llm.requests[0].messages[-1] == {"role": "user", "content": "tell me a joke"}
        done = client.of_type("response.done")[0]
        assert done.response.status == "completed"
        assert client.bot_audio(done.response.id).size > 0
        assert len(llm.requests) == 1, "no response without response.create"
        assert client.of_type("error") == []


async def test_barge_in_then_truncate_keeps_what_was_heard() -> None:
    replies = [LONG_STORY, "Sure, go ahead."]
    async with (
        stack([["tell", "a", "story"], ["wait", "stop"]], replies) as (address, llm, _),
        OpenAiClient(address) as client,
    ):
        await client.wait_count("session.created", 1, timeout=5)
        await client.wait_for(lambda c: c.samples_sent > 3.2 * 24_000, 10, "3.2 s of audio")
        client.say(tone(0.8))
        await client.wait_count("response.created", 1, timeout=10)
        await client.wait_for(
            lambda c: len(c.of_type("response.output_audio.delta")) > 20, 10, "story audio"
        )
        client.say(tone(0.8))
        await client.wait_count("response.done", 1, timeout=10)
        story = client.of_type("response.done")[0].response
        assert story.status == "cancelled"
        assert story.status_details.reason == "turn_detected"
        heard = client.of_type("response.output_audio_transcript.done")[0].transcript
        assert heard and len(heard) < len(LONG_STORY), "only the heard words are kept"

        # The client played less than the server sent: it truncates to what it played.
        message_id = story.output[0].id
        await client.send(
            {
                "type": "conversation.item.truncate",
                "item_id": message_id,
                "content_index": 0,
                "audio_end_ms": 300,
            }
        )
        await client.wait_count("conversation.item.truncated", 1, timeout=5)
        await client.send({"type": "conversation.item.retrieve", "item_id": message_id})
        await client.wait_count("conversation.item.retrieved", 1, timeout=5)
        truncated = client.of_type("conversation.item.retrieved")[0].item.content[0].transcript
        assert len(truncated) < len(heard)
        assert heard.startswith(truncated)

        await client.wait_count("response.done", 2, timeout=15)
        history = llm.requests[1].messages
        assert history[-2] == {"role": "assistant", "content": f"{truncated}—"}
        assert history[-1] == {"role": "user", "content": "wait stop"}
        assert client.of_type("error") == []


async def test_a_function_call_round_trip() -> None:
    call = ToolCallScript("get_weather", '{"city": "Paris"}', call_id="call_weather1")
    replies = [ScriptedReply("", tool_calls=(call,)), "It is sunny in Paris."]
    async with (
        stack([], replies) as (address, llm, _),
        OpenAiClient(address) as client,
    ):
        await client.send(
            {"type": "session.update", "session": {"type": "realtime", "tools": [WEATHER_TOOL]}}
        )
        await client.wait_count("session.updated", 1, timeout=5)
        await client.send(
            {
                "type": "conversation.item.create",
                "item": {
                    "type": "message",
                    "role": "user",
                    "content": [{"type": "input_text", "text": "Weather in Paris?"}],
                },
            }
        )
        await client.send({"type": "response.create"})
        await client.wait_count("response.done", 1, timeout=10)

        first = client.of_type("response.done")[0].response
        assert first.status == "completed"
        assert len(first.output) == 1
        function_call = first.output[0]
        assert isinstance(function_call, RealtimeConversationItemFunctionCall)
        assert (function_call.name, function_call.call_id) == ("get_weather", "call_weather1")
        assert json.loads(function_call.arguments) == {"city": "Paris"}
        arguments = client.of_type("response.function_call_arguments.done")[0]
        assert (arguments.name, arguments.arguments) == ("get_weather", '{"city": "Paris"}')
        streamed = client.of_type("response.function_call_arguments.delta")
        assert len(streamed) > 1, "the arguments stream as the LLM writes them"
        assert "".join(d.delta for d in streamed) == arguments.arguments
        types = client.types()
        assert (
            types.index("response.output_item.added")
            < types.index("response.function_call_arguments.delta")
            < types.index("response.function_call_arguments.done")
        )
        assert client.bot_audio(first.id).size == 0, "a tool call alone is not spoken"
        assert llm.requests[0].body["tools"] == [
            {
                "type": "function",
                "function": {
                    "name": "get_weather",
                    "description": "The weather in a city.",
                    "parameters": WEATHER_TOOL["parameters"],
                },
            }
        ]

        await client.send(
            {
                "type": "conversation.item.create",
                "item": {
                    "type": "function_call_output",
                    "call_id": "call_weather1",
                    "output": '{"sky": "sunny"}',
                },
            }
        )
        await client.send({"type": "response.create"})
        await client.wait_count("response.done", 2, timeout=10)
        second = client.of_type("response.done")[1].response
        assert second.status == "completed"
        spoken = client.of_type("response.output_audio_transcript.done")[-1].transcript
        assert spoken == "It is sunny in Paris."
        assert client.bot_audio(second.id).size > 0
        messages = llm.requests[1].messages
        assert messages[-2]["role"] == "assistant"
        assert messages[-2]["tool_calls"][0]["id"] == "call_weather1"
        assert messages[-2]["tool_calls"][0]["function"]["name"] == "get_weather"
        assert messages[-1] == {
            "role": "tool",
            "tool_call_id": "call_weather1",
            "content": '{"sky": "sunny"}',
        }
        assert client.of_type("error") == []


async def test_keys_are_checked_when_the_operator_sets_them() -> None:
    async with stack([], [], openai_api_keys="key-one, key-two") as (address, _, _):
        async with OpenAiClient(address, api_key="key-two", audio=False) as client:
            await client.wait_count("session.created", 1, timeout=5)
        sdk = AsyncOpenAI(api_key="wrong", base_url=f"http://{address}/openai/v1")
        with pytest.raises(InvalidStatus) as refused:
            async with sdk.realtime.connect(model="m"):
                pass
        assert refused.value.response.status_code == 401
        assert json.loads(refused.value.response.body)["error"]["code"] == "invalid_api_key"
        # A browser sends the key as a subprotocol, under the proxy's /api prefix too.
        protocols = [Subprotocol("realtime"), Subprotocol("openai-insecure-api-key.key-one")]
        async with connect(
            f"ws://{address}/api/openai/v1/realtime?model=m", subprotocols=protocols
        ) as browser:
            assert browser.subprotocol == "realtime"
            assert json.loads(await browser.recv())["type"] == "session.created"


async def test_an_out_of_band_response_with_its_own_instructions_leaves_no_trace() -> None:
    async with (
        stack([], ["positive"]) as (address, llm, _),
        OpenAiClient(address, audio=False) as client,
    ):
        await client.wait_count("session.created", 1, timeout=5)
        await client.send(
            {
                "type": "response.create",
                "response": {
                    "conversation": "none",
                    "instructions": "Classify the sentiment.",
                    "output_modalities": ["text"],
                    "metadata": {"purpose": "classification"},
                    "input": [
                        {
                            "type": "message",
                            "role": "user",
                            "content": [{"type": "input_text", "text": "I love it"}],
                        }
                    ],
                },
            }
        )
        await client.wait_count("response.done", 1, timeout=10)
        done = client.of_type("response.done")[0].response
        assert done.status == "completed" and done.conversation_id is None
        assert client.of_type("response.output_text.done")[0].text == "positive"
        assert client.of_type("conversation.item.added") == [], "not in the conversation"
        assert llm.requests[0].messages == [
            {"role": "system", "content": "Classify the sentiment."},
            {"role": "user", "content": "I love it"},
        ]
        await client.send({"type": "conversation.item.retrieve", "item_id": done.output[0].id})
        await client.wait_count("error", 1, timeout=5)
        assert client.of_type("error")[0].error.code == "item_not_found"


async def test_g711_u_law_in_and_out_at_8_khz() -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        import audioop  # the standard library's reference G.711, until Python 3.13

    def ulaw_8k(pcm: npt.NDArray[np.float32]) -> bytes:
        narrow = soxr.resample(pcm, 24_000, 8_000)
        return audioop.lin2ulaw(pcm16(narrow), 2)

    async with (
        stack([["hello"]], ["Hi there friend."]) as (address, _, _),
        OpenAiClient(address, encode=ulaw_8k) as client,
    ):
        g711 = {"format": {"type": "audio/pcmu"}}
        await client.send(
            {
                "type": "session.update",
                "session": {"type": "realtime", "audio": {"input": g711, "output": g711}},
            }
        )
        await client.wait_count("session.updated", 1, timeout=5)
        client.say(tone(1.0))
        await client.wait_count("response.done", 1, timeout=15)
        transcript = client.of_type("conversation.item.input_audio_transcription.completed")
        assert transcript[0].transcript == "hello", "the STT heard the u-law voice"
        done = client.of_type("response.done")[0].response
        deltas = [
            d for d in client.of_type("response.output_audio.delta") if d.response_id == done.id
        ]
        wire = b"".join(base64.b64decode(d.delta) for d in deltas)
        speech_s = len(wire) / 8_000  # one byte per sample at 8 kHz
        assert 3 * 0.15 * 0.8 < speech_s < 3 * 0.15 * 1.5 + 0.5, speech_s
        voice = np.frombuffer(audioop.ulaw2lin(wire, 2), dtype=np.int16) / 32768.0
        assert float(np.sqrt(np.mean(voice**2))) > 0.05, "the answer is audible"


async def test_refusals_name_the_event_and_the_conversation_goes_on() -> None:
    async with (
        stack([], ["Fine, thanks."]) as (address, _, _),
        OpenAiClient(address, audio=False) as client,
    ):
        await client.wait_count("session.created", 1, timeout=5)
        await client.send({"type": "input_audio_buffer.commit", "event_id": "ev_commit"})
        await client.send({"type": "response.cancel", "event_id": "ev_cancel"})
        await client.send({"type": "conversation.item.delete", "item_id": "item_nope"})
        await client.send_raw('{"type": "response.audio.delta", "event_id": "ev_beta"}')
        await client.send({"type": "response.create", "response": {"output_modalities": ["text"]}})
        await client.send({"type": "response.create", "event_id": "ev_twice"})
        await client.wait_count("response.done", 1, timeout=10)
        errors = {e.error.event_id: e.error for e in client.of_type("error")}
        assert errors["ev_commit"].code == "input_audio_buffer_commit_empty"
        assert errors["ev_cancel"].code == "response_cancel_not_active"
        assert errors["ev_beta"].code == "invalid_event" and errors["ev_beta"].param == "type"
        assert errors["ev_twice"].code == "conversation_already_has_active_response"
        assert {e.type for e in errors.values()} == {"invalid_request_error"}
        not_found = [e.error for e in client.of_type("error") if e.error.code == "item_not_found"]
        assert not_found and not_found[0].param == "item_id"
        assert client.of_type("response.done")[0].response.status == "completed"
