"""A failing or slow LLM: the bot says so, the user is warned, the conversation goes on.
What went wrong is told to the log, by session and turn, never to the browser."""

from __future__ import annotations

import asyncio
import logging
from contextlib import AsyncExitStack

import pytest

from backend.conversation import rules
from backend.realtime import public_errors
from tests.doubles.llm_double import LlmDouble
from tests.doubles.stt_double import SttDouble
from tests.doubles.tts_double import TtsDouble
from tests.integration.backend_server import backend_in_process
from tests.integration.protocol_rules import check_turn_order
from tests.integration.realtime_client import RealtimeClient, tone

UPSTREAM_BODY = {"error": {"message": "quota exceeded for org-7731 on gpu-node-3.internal"}}


async def _greeting_with(llm: LlmDouble) -> RealtimeClient:
    async with SttDouble([["hello"]]) as stt, TtsDouble(word_duration_s=0.1) as tts, llm:
        async with (
            backend_in_process(
                stt_url=stt.url, tts_url=tts.url, llm_url=llm.url, llm_timeout_s=0.5
            ) as address,
            RealtimeClient(f"ws://{address}/v1/realtime") as client,
        ):
            await client.start_session(voice="v")
            await client.wait_count("response.audio.done", 1, timeout=15)
            # The conversation goes on: the user speaks, and is answered again.
            await client.wait_for(lambda c: c.samples_sent > 3.2 * 24_000, 10)
            client.say(tone(0.6))
            await client.wait_count("response.audio.done", 2, timeout=15)
    return client


def _spoken_replies(client: RealtimeClient) -> list[str]:
    history = client.of_type("unmute.additional_outputs")[-1].args.chat_history
    return [m.content for m in history if m.role == "assistant"]


async def test_an_llm_error_is_spoken_and_warned_without_its_details() -> None:
    client = await _greeting_with(LlmDouble(["unused"], fail_status=500, fail_body=UPSTREAM_BODY))
    assert _spoken_replies(client) == [rules.LLM_FAILURE_REPLY] * 2
    warnings = [e.error for e in client.of_type("error")]
    assert len(warnings) == 2
    for warning in warnings:
        assert warning.type == "warning"
        assert (warning.code, warning.message) == (
            public_errors.LLM_FAILED.code,
            public_errors.LLM_FAILED.message,
        )
    shown = [e.model_dump_json() for e in client.of_type("error")]
    assert not any(secret in e for e in shown for secret in ("500", "quota", "127.0.0"))
    assert client.close_code is None
    check_turn_order([r.event for r in client.received])


async def test_an_llm_that_hangs_times_out_and_is_spoken_for() -> None:
    client = await _greeting_with(LlmDouble(["unused"], hang="after_headers"))
    assert _spoken_replies(client) == [rules.LLM_FAILURE_REPLY] * 2
    assert all(e.error.type == "warning" for e in client.of_type("error"))
    assert all(e.error.code == public_errors.LLM_FAILED.code for e in client.of_type("error"))
    check_turn_order([r.event for r in client.received])


async def test_four_concurrent_conversations_can_be_told_apart_in_the_log(
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.INFO, logger="backend")
    llm = LlmDouble(["unused"], fail_status=503, fail_body=UPSTREAM_BODY)
    async with (
        SttDouble() as stt,
        TtsDouble(word_duration_s=0.05) as tts,
        llm,
        backend_in_process(stt_url=stt.url, tts_url=tts.url, llm_url=llm.url) as address,
        AsyncExitStack() as clients,
    ):
        url = f"ws://{address}/v1/realtime"
        talking = [await clients.enter_async_context(RealtimeClient(url)) for _ in range(4)]
        await asyncio.gather(*(client.start_session(voice="v") for client in talking))
        for client in talking:
            await client.wait_count("response.audio.done", 1, timeout=15)
    records = [r for r in caplog.records if r.name.startswith("backend")]
    untagged = [r.getMessage() for r in records if not hasattr(r, "session_id")]
    assert untagged == [], "every line of a conversation names it"
    sessions = {r.session_id for r in records}  # type: ignore[attr-defined]
    assert len(sessions) == 4
    for session in sessions:
        lines = [r for r in records if r.session_id == session]  # type: ignore[attr-defined]
        messages = [r.getMessage() for r in lines]
        assert messages[0] == f"session={session} turn=0 conversation started"
        assert messages[-1].startswith(f"session={session} turn=1 conversation over after")
        # The details the browser was not shown, in this conversation's greeting turn.
        (failure,) = [r for r in lines if "LLM failed" in r.getMessage()]
        assert failure.turn_id == 1  # type: ignore[attr-defined]
        assert "HTTP 503" in failure.getMessage() and "quota exceeded" in failure.getMessage()
        assert llm.url in failure.getMessage()
    assert all(
        r.getMessage().startswith(f"session={r.session_id} turn={r.turn_id} ")  # type: ignore[attr-defined]
        for r in records
    )
