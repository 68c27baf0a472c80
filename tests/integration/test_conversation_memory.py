"""A finished conversation's memory comes back when it ends.

Its objects hold each other (parts that call back into the session, the socket's protocol
and transport), so only the cyclic collector frees them, and its own full pass can be
dozens of conversations away. With that pass out of the picture
(`automatic_collection_off`), the backend must still free a conversation shortly after it
ends.
"""

from __future__ import annotations

import asyncio
import weakref

import pytest

from tests.doubles.llm_double import LlmDouble
from tests.doubles.stt_double import SttDouble
from tests.doubles.tts_double import TtsDouble
from tests.integration.backend_server import backend_app_in_process
from tests.integration.realtime_client import RealtimeClient, tone

pytestmark = pytest.mark.integration

GUARD_S = 15.0
FREED_WITHIN_S = 5.0


@pytest.mark.usefixtures("automatic_collection_off")
async def test_a_finished_conversation_is_freed_without_the_collectors_own_pass() -> None:
    stt = SttDouble([["what", "time", "is", "it"]])
    tts = TtsDouble(word_duration_s=0.1)
    llm = LlmDouble(["Hello there.", "It is noon."])
    async with (
        stt,
        tts,
        llm,
        backend_app_in_process(stt_url=stt.url, tts_url=tts.url, llm_url=llm.url) as (
            address,
            app,
        ),
    ):
        async with RealtimeClient(f"ws://{address}/v1/realtime") as client:
            await client.start_session(
                instructions={"type": "constant", "text": "You are a test bot."}
            )
            await client.wait_count("response.audio.done", 1, timeout=GUARD_S)
            await client.wait_for(lambda c: c.samples_sent > 2 * 24_000, GUARD_S, "audio")
            client.say(tone(1.0))
            await client.wait_count("response.audio.done", 2, timeout=GUARD_S)
            (session,) = app.state.services.sessions
            freed = weakref.ref(session)
            del session
        async with asyncio.timeout(FREED_WITHIN_S):
            while freed() is not None:
                await asyncio.sleep(0.05)
