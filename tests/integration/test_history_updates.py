"""A client that keeps the chat history gets only what changed, and rebuilds exactly the
history a client of the full protocol gets."""

from __future__ import annotations

from typing import Any

from backend.realtime import events as ev
from tests.doubles.llm_double import LlmDouble
from tests.doubles.stt_double import SttDouble
from tests.doubles.tts_double import TtsDouble
from tests.integration.backend_server import backend_in_process
from tests.integration.realtime_client import RealtimeClient, tone


async def converse(**session: Any) -> tuple[list[ev.UnmuteAdditionalOutputs], list[Any]]:
    """Greeting, one user turn and its reply; the history events the client got."""
    async with (
        SttDouble([["what", "time", "is", "it"]]) as stt,
        TtsDouble(word_duration_s=0.05) as tts,
        LlmDouble(["Hello there.", "It is noon."]) as llm,
        backend_in_process(stt_url=stt.url, tts_url=tts.url, llm_url=llm.url) as address,
        RealtimeClient(f"ws://{address}/v1/realtime") as client,
    ):
        await client.start_session(voice="v", **session)
        await client.wait_count("response.audio.done", 1, timeout=15)
        client.say(tone(0.8))
        await client.wait_count("response.audio.done", 2, timeout=15)
    created = [event.response.chat_history for event in client.of_type("response.created")]
    return list(client.of_type("unmute.additional_outputs")), created


async def test_deltas_rebuild_the_full_history() -> None:
    full, full_created = await converse()
    deltas, delta_created = await converse(history_updates="delta")
    assert full_created[-1], "a full client's response.created carries the history"
    assert delta_created == [[], []], "a delta client's does not: the deltas bring it"
    assert all(event.args.chat_history_start is None for event in full)
    kept: list[ev.ChatMessage] = []
    for event in deltas:
        start = event.args.chat_history_start
        assert start is not None and start <= len(kept)
        kept = kept[:start] + event.args.chat_history
    assert kept == full[-1].args.chat_history
    assert [m.role for m in kept] == ["assistant", "user", "assistant"]
    sent = sum(len(event.args.chat_history) for event in deltas)
    assert sent < sum(len(event.args.chat_history) for event in full)
