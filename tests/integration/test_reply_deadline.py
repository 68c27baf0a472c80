"""The reply deadline: the user hears the bot within it, or is told which part failed.

Each test drives one reply against a late double, with a short deadline, and checks the
reply reports the late part once (the failure path that warns the user) and still ends.
"""

from __future__ import annotations

import asyncio

import pytest

from backend.clients.llm import LlmClient
from backend.conversation import signals as sig
from backend.realtime import public_errors
from tests.doubles.llm_double import LlmDouble
from tests.doubles.stt_double import SttDouble
from tests.doubles.tts_double import TtsDouble
from tests.integration.backend_server import backend_in_process
from tests.integration.realtime_client import RealtimeClient
from tests.integration.reply_session import ReplySession

pytestmark = pytest.mark.integration

# Short, yet far beyond what a double takes to answer on a busy host: the part meant to
# be on time must be, or the wrong part is named late.
DEADLINE_S = 1.0
GUARD_S = 10  # far beyond the deadline: only a reply that never ends hits it


async def test_an_llm_silent_past_the_deadline_is_given_up_and_the_failure_line_heard() -> None:
    async with (
        TtsDouble(word_duration_s=0.05) as tts,
        LlmDouble(["never heard"], hang="before_headers") as llm_server,
        LlmClient(llm_server.url) as llm,
    ):
        session = ReplySession(llm, tts.url, reply_deadline_s=DEADLINE_S)
        session.start_reply(1)
        assert session.reply is not None
        await asyncio.wait_for(session.reply.wait_closed(), GUARD_S)
    assert [type(f) for f in session.failures] == [sig.LlmFailed]
    assert session.audio_played.is_set(), "the core's failure line was spoken"
    assert session.finished == [1]


async def test_a_tts_silent_past_the_deadline_is_given_up_and_the_turn_ends() -> None:
    async with (
        TtsDouble(first_audio_latency_s=GUARD_S) as tts,
        LlmDouble(["too late to hear"]) as llm_server,
        LlmClient(llm_server.url) as llm,
    ):
        session = ReplySession(llm, tts.url, reply_deadline_s=DEADLINE_S)
        session.start_reply(1)
        assert session.reply is not None
        await asyncio.wait_for(session.reply.wait_closed(), GUARD_S)
        assert tts.peak_active_streams == 1, "the late stream was not replaced by another"
    assert [type(f) for f in session.failures] == [sig.TtsFailed]
    assert session.finished == [1], "the turn ends (with its short silence) all the same"


async def test_the_deadline_setting_reaches_every_reply_of_a_conversation() -> None:
    """UNMUTE_REPLY_DEADLINE_S through a whole backend: the greeting's TTS is far later than
    the deadline (and the LLM's own timeout is longer still), so only the deadline can warn
    the user this early."""
    async with (
        SttDouble() as stt,
        TtsDouble(first_audio_latency_s=GUARD_S) as tts,
        LlmDouble(["Hello there."]) as llm,
        backend_in_process(
            stt_url=stt.url, tts_url=tts.url, llm_url=llm.url, reply_deadline_s=DEADLINE_S
        ) as address,
        RealtimeClient(f"ws://{address}/v1/realtime") as client,
    ):
        await client.start_session(voice="v")
        await client.wait_for(lambda c: bool(c.of_type("error")), GUARD_S / 2, "a warning")
    [warning] = client.of_type("error")
    assert (warning.error.type, warning.error.code) == ("warning", public_errors.TTS_FAILED.code)
