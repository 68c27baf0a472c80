"""The CPU STT server's idle timeout over real sockets: an idle stream is dropped, one
waiting for its backlog to be recognised is not. Each test runs its own in-process server
with a short idle timeout."""

from __future__ import annotations

import asyncio
import time

import numpy as np
import pytest

from tests.integration.embedded_stt_client import ENGINES, in_process_server, pack, session
from tests.speech_clips import SENTENCES, silence, speak

pytestmark = pytest.mark.integration


async def test_an_idle_stream_is_dropped() -> None:
    async with in_process_server(idle_timeout_s=0.5) as address:
        async with session(address, key=None) as stream:
            await stream.wait_for("Ready")
            await stream.send_audio(silence(0.2))
            await asyncio.wait_for(stream.ws.wait_closed(), 5)
            assert stream.ws.close_code == 1000
        async with session(address, key=None) as again:  # its slot is free again
            await again.wait_for("Ready")


@pytest.mark.parametrize("engine", ENGINES)
async def test_a_stream_waiting_for_its_backlog_is_not_idle(engine: str) -> None:
    long_speech = np.concatenate([speak(s) for s in SENTENCES[:8]])  # ~20 s
    # Packed before the stream opens: packing 20 s of samples blocks this event loop, the
    # server's too, and on a busy host for longer than the idle timeout.
    audio = pack({"type": "Audio", "pcm": long_speech.tolist()})
    async with in_process_server(idle_timeout_s=0.2, engine=engine) as address:
        async with session(address, key=None) as stream:
            await stream.wait_for("Ready")
            sent_at = time.monotonic()
            await stream.ws.send(audio)
            await stream.send({"type": "Marker", "id": 1})
            await stream.wait_for("Marker", id=1, timeout_s=60)
            assert time.monotonic() - sent_at > 0.2  # recognising it outlasted the idle timeout
            assert len(stream.words()) > 20
