"""SIGTERM on a backend holding four conversations: not-ready at once, no new sessions, the
live ones go on for the grace period, then each is closed with 1001 and the process exits."""

from __future__ import annotations

import asyncio
import signal
import time
from contextlib import AsyncExitStack

import httpx
import pytest
from websockets.asyncio.client import connect
from websockets.exceptions import InvalidStatus

from tests.doubles.llm_double import LlmDouble
from tests.doubles.stt_double import SttDouble
from tests.doubles.tts_double import TtsDouble
from tests.integration.backend_server import backend_subprocess
from tests.integration.realtime_client import RealtimeClient

GRACE_S = 2.0


async def test_sigterm_drains_then_closes_with_1001() -> None:
    async with (
        SttDouble() as stt,
        TtsDouble(word_duration_s=0.1) as tts,
        LlmDouble(lambda _: "Hello.") as llm,
    ):
        env = {
            "UNMUTE_STT_URL": stt.url,
            "UNMUTE_TTS_URL": tts.url,
            "UNMUTE_LLM_URL": llm.url,
            "UNMUTE_DRAIN_GRACE_S": str(GRACE_S),
            "UNMUTE_SEAT_WAIT_S": "0",
        }
        async with backend_subprocess(env) as (address, process), AsyncExitStack() as clients:
            url = f"ws://{address}/v1/realtime"
            talking = [await clients.enter_async_context(RealtimeClient(url)) for _ in range(4)]
            for client in talking:
                await client.start_session(voice="v")
            for client in talking:
                await client.wait_count("response.audio.done", 1, timeout=15)

            process.send_signal(signal.SIGTERM)
            signalled = time.monotonic()
            async with httpx.AsyncClient(base_url=f"http://{address}") as http:
                for _ in range(40):
                    if (await http.get("/v1/ready")).status_code == 503:
                        break
                    await asyncio.sleep(0.05)
                ready = await http.get("/v1/ready")
                assert ready.status_code == 503 and ready.json()["ready"] is False
            with pytest.raises(InvalidStatus) as refused:
                async with connect(url):
                    pass
            assert refused.value.response.status_code == 503

            for client in talking:
                await client.wait_closed(timeout=GRACE_S + 5)
            closed_after = time.monotonic() - signalled
            assert closed_after >= GRACE_S - 0.2, "live conversations went on during the grace"
            assert [c.close_code for c in talking] == [1001] * 4
            assert all(not c.of_type("error") for c in talking)
            assert await asyncio.to_thread(process.wait, 10) is not None
