"""When an STT stream counts as idle: never while the client waits for something it sent.

A scripted recogniser answers audio at once and holds markers until the test lets them go,
so a marker's final pass can outlast the idle timeout on any machine.
"""

from __future__ import annotations

import asyncio
from typing import Any

import msgpack
from prometheus_client import CollectorRegistry

from embedded.stt.metrics import SttMetrics
from embedded.stt.stream import StreamEnd, SttStream
from embedded.stt.worker_pool import MarkerReached, Processed, WorkerEvent

FRAME = 1920
IDLE_TIMEOUT_S = 0.05
GUARD_S = 10


class ScriptedRecognizer:
    def __init__(self) -> None:
        self.frames = 0
        self.held_markers: list[int] = []
        self._listener: Any = None

    def begin(self, listener: Any) -> None:
        self._listener = listener

    def send_audio(self, pcm16k: bytes, voiced: Any) -> None:
        self.frames += 1
        self._emit(Processed(frames=self.frames, idle=False, words=(), compute_s=0.0))

    def send_marker(self, marker_id: int) -> None:
        self.held_markers.append(marker_id)

    def release_markers(self) -> None:
        for marker_id in self.held_markers:
            self._emit(MarkerReached(marker_id=marker_id, frames=self.frames, words=()))
        self.held_markers = []

    def _emit(self, event: WorkerEvent) -> None:
        self._listener(event)


def frame(message: dict[str, Any]) -> bytes:
    packed: bytes = msgpack.packb(message, use_bin_type=True, use_single_float=True)
    return packed


async def test_a_stream_waiting_for_its_marker_is_not_idle() -> None:
    recognizer = ScriptedRecognizer()
    sent: list[dict[str, Any]] = []
    inbox: asyncio.Queue[bytes | None] = asyncio.Queue()

    async def send(data: bytes) -> None:
        sent.append(msgpack.unpackb(data))

    stream = SttStream(
        worker=recognizer,  # type: ignore[arg-type]
        send=send,
        metrics=SttMetrics(CollectorRegistry()),
        idle_timeout_s=IDLE_TIMEOUT_S,
    )
    running = asyncio.create_task(stream.run(inbox.get))
    await inbox.put(frame({"type": "Audio", "pcm": [0.0] * FRAME}))
    await inbox.put(frame({"type": "Marker", "id": 7}))
    await asyncio.sleep(IDLE_TIMEOUT_S * 6)  # the final pass takes its time
    assert not running.done(), "the stream was dropped while its marker was pending"
    recognizer.release_markers()
    # Now the client has nothing pending: the stream ends as idle (the guard only keeps a
    # stream that never ends from hanging the test).
    assert await asyncio.wait_for(running, GUARD_S) is StreamEnd.IDLE
    assert {"type": "Marker", "id": 7} in sent
