"""The official `openai` SDK's realtime client holds conversations with the backend's OpenAI
route, over real sockets, with scripted STT, TTS and LLM servers behind it: spoken (PCM16
in, audio and transcripts out), text only, push-to-talk, barge-in with `item.truncate`,
and a function-call round trip. Every server event is validated by the SDK's models."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import numpy as np
import pytest
from openai import AsyncOpenAI
from openai.types.realtime import RealtimeConversationItemFunctionCall

from tests.doubles.llm_double import LlmDouble, Messages, ScriptedReply
from tests.doubles.stt_double import SttDouble
from tests.doubles.tts_double import TtsDouble
from tests.integration.backend_server import backend_in_process
from tests.integration.openai_client import OpenAiClient
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
        or (r.event.type in ("response.created", "response.done") and r.event.response.id == response_id)
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
        assert "".join(
            d.delta for d in client.of_type("response.output_audio_transcript.delta")
        ) == ANSWER
        audio = client.bot_audio(done.response.id)
        assert audio.size > 0.5 * 24_000
        assert float(np.sqrt(np.mean(audio**2))) > 0.01, "the answer is audible"
        assert client.of_type("error") == []

        # The LLM got the session's instructions and the user's words.
        messages = llm.requests[0].messages
        assert messages[0] == {"role": "system", "content": "Be brief."}
        assert messages[-1] == {"role": "user", "content": "what time is it"}
