"""A barge-in storm: the user cuts in on 100 replies in a row, at every moment of a reply.

Each interruption cancels the reply and starts the next one, as the conversation runner
does. A replaced reply must have closed its TTS stream before the next opens one, so the
session never holds two TTS slots (GPU slots on moshi) at once: the TTS double counts
the streams open at the same time.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable

import pytest

from backend.clients.llm import LlmClient
from tests.doubles.llm_double import LlmDouble
from tests.doubles.tts_double import TtsDouble
from tests.integration.reply_session import ReplySession

pytestmark = pytest.mark.integration

INTERRUPTIONS = 100
REPLY = "one two three four five six"
STEP_GUARD_S = 10  # the longest any one step of a reply may take before the test gives up


async def interrupt_after(session: ReplySession, moment: int) -> None:
    """Let the reply get to one of five moments, then let the user cut in."""
    waits: list[Callable[[], object]] = [
        lambda: asyncio.sleep(0),  # at once: nothing opened yet
        lambda: asyncio.sleep(0.005),  # while the LLM and TTS are being asked
        session.word_given.wait,  # the first word is on its way to the TTS
        session.audio_played.wait,  # the user hears the reply
        lambda: asyncio.sleep(0.05),  # somewhere in the middle
    ]
    wait = waits[moment % len(waits)]()
    if asyncio.iscoroutine(wait):
        await asyncio.wait_for(wait, STEP_GUARD_S)


async def test_a_storm_of_interruptions_never_holds_two_tts_slots() -> None:
    async with (
        TtsDouble(slots=4, word_duration_s=0.05) as tts,
        LlmDouble([REPLY] * (INTERRUPTIONS + 1)) as llm_server,
        LlmClient(llm_server.url) as llm,
    ):
        session = ReplySession(llm, tts.url)
        for response_id in range(1, INTERRUPTIONS + 1):
            session.start_reply(response_id)
            await interrupt_after(session, response_id)
        last = INTERRUPTIONS + 1
        session.start_reply(last)
        reply = session.reply
        assert reply is not None
        await asyncio.wait_for(reply.wait_closed(), STEP_GUARD_S)

        assert tts.peak_active_streams == 1, "a replaced reply still held its TTS slot"
        assert session.finished == [last], "the reply after the storm is heard to its end"
        assert session.failures == []
        assert len(session.ctx.tasks) == 0, "every reply task of the session has ended"
        assert tts.protocol_violations == []
