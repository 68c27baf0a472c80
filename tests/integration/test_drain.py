"""SIGTERM on a backend holding four conversations: not-ready at once, no new sessions, the
live ones go on for the grace period, then each is closed with 1001 and the process exits."""

from __future__ import annotations

import asyncio
import contextlib
import signal
import subprocess
import sys
import time
from contextlib import AsyncExitStack
from pathlib import Path

import httpx
import msgpack
import pytest
from websockets.asyncio.client import connect
from websockets.exceptions import InvalidStatus

from tests.doubles.llm_double import LlmDouble
from tests.doubles.stt_double import SttDouble
from tests.doubles.tts_double import TtsDouble
from tests.integration.backend_server import backend_subprocess, free_port
from tests.integration.realtime_client import RealtimeClient

GRACE_S = 2.0
DRAIN_NOTICED_WITHIN_S = 10  # a guard: a server that handles SIGTERM does so at once
START_GUARD_S = 60  # far longer than a speech server takes to start on a busy host


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

            signalled = time.monotonic()  # before the signal: the grace cannot start sooner
            process.send_signal(signal.SIGTERM)
            async with httpx.AsyncClient(base_url=f"http://{address}") as http:
                async with asyncio.timeout(DRAIN_NOTICED_WITHIN_S):
                    while (ready := await http.get("/v1/ready")).status_code != 503:
                        await asyncio.sleep(0.05)
                assert ready.json()["ready"] is False
            with pytest.raises(InvalidStatus) as refused:
                async with connect(url):
                    pass
            assert refused.value.response.status_code == 503

            for client in talking:
                await client.wait_closed(timeout=GRACE_S + DRAIN_NOTICED_WITHIN_S)
            closed_after = time.monotonic() - signalled
            # A lower bound: a busy host only closes them later, never sooner.
            assert closed_after >= GRACE_S - 0.2, "live conversations went on during the grace"
            assert [c.close_code for c in talking] == [1001] * 4
            assert all(not c.of_type("error") for c in talking)
            assert await asyncio.to_thread(process.wait, 10) is not None


async def test_a_speech_server_finishes_its_streams_on_sigterm() -> None:
    port = free_port()
    process = subprocess.Popen(
        [str(Path(sys.executable).with_name("unmute-ops")), "serve", "tts", "--port", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"ws://127.0.0.1:{port}/api/tts_streaming?format=PcmMessagePack&voice=v"
    headers = {"kyutai-api-key": "public_token"}
    try:
        await until_serving(f"http://127.0.0.1:{port}/api/build_info", process)
        async with connect(url, additional_headers=headers) as live:
            assert msgpack.unpackb(await live.recv())["type"] == "Ready"
            process.send_signal(signal.SIGTERM)
            # A new stream is turned away the way a full node turns it away...
            answer = await first_refusal(url, headers)
            assert answer == {"type": "Error", "message": "no free channels"}
            # ...while the live one is finished properly.
            for word in ["Goodbye", "for", "now."]:
                await live.send(msgpack.packb({"type": "Text", "text": word}))
            await live.send(msgpack.packb({"type": "Eos"}))
            kinds = [msgpack.unpackb(frame)["type"] async for frame in live]
            assert "Audio" in kinds
        assert await asyncio.to_thread(process.wait, 30) is not None
    finally:
        if process.poll() is None:
            process.kill()


async def until_serving(url: str, process: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + START_GUARD_S
    async with httpx.AsyncClient() as http:
        while True:
            assert process.poll() is None, "the server exited during start-up"
            with contextlib.suppress(httpx.HTTPError):
                if (await http.get(url)).status_code == 200:
                    return
            assert time.monotonic() < deadline, "the server did not start"
            await asyncio.sleep(0.2)


async def first_refusal(url: str, headers: dict[str, str]) -> dict[str, str]:
    """The first answer that is not `Ready`: the server handles SIGTERM a moment after it is
    sent, and a stream opened before that is simply closed again."""
    deadline = time.monotonic() + DRAIN_NOTICED_WITHIN_S
    while True:
        async with connect(url, additional_headers=headers) as late:
            answer: dict[str, str] = msgpack.unpackb(await late.recv())
        if answer["type"] != "Ready":
            return answer
        assert time.monotonic() < deadline, "new streams were still accepted after SIGTERM"
        await asyncio.sleep(0.05)
