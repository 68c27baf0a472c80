"""The official `openai` SDK's realtime client talks with the backend's OpenAI route over
real sockets: spoken conversations (PCM16 in, audio and transcripts out) with server turn
detection, push-to-talk, barge-in with `item.truncate`, and G.711 at 8 kHz. Every server
event is validated by the SDK's models."""

from __future__ import annotations

import base64
import warnings

import numpy as np
import numpy.typing as npt
import pytest
import soxr

from tests.integration.openai_client import OpenAiClient, pcm16
from tests.integration.openai_stack import stack
from tests.integration.realtime_client import tone

pytestmark = pytest.mark.integration

ANSWER = "It is nine o'clock in the morning."
LONG_STORY = " ".join(["Once upon a time there was a very long story."] * 4)


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
