"""What the fixed-latency servers share: their latencies, the trace, message framing."""

from __future__ import annotations

import asyncio
import re
import time
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import msgpack
from websockets.asyncio.server import ServerConnection
from websockets.exceptions import ConnectionClosed

from backend.speech_protocol.audio_frames import parse_audio_frame

SAMPLE_RATE = 24_000
FRAME = 1920  # the speech models' 80 ms frame
# A turn key: `k<STT stream>t<utterance>`, made by the STT, echoed by the LLM and TTS.
KEY_PREFIX = "k"
KEY_PATTERN = re.compile(rf"\b{KEY_PREFIX}(\d+)t\d+\b")


@dataclass(frozen=True)
class Latencies:
    stt_step_s: float = 0.02
    """Each 80 ms frame is answered this long after its last sample arrived."""
    llm_first_token_s: float = 0.15
    llm_word_interval_s: float = 0.02
    tts_first_audio_s: float = 0.08
    """From the first word received to the first audio frame sent."""
    tts_speed: float = 4.0
    """Audio seconds generated per wall second once audio flows (GPU TTS: a few ×)."""


class Trace:
    """Stamps per turn key on the host's monotonic clock, and every STT stream's audio
    arrivals (real-time samples received so far, time)."""

    def __init__(self) -> None:
        self.turns: dict[str, dict[str, float]] = defaultdict(dict)
        self.arrivals: dict[int, list[tuple[int, float]]] = defaultdict(list)

    def stamp(self, key: str, what: str, at: float | None = None) -> None:
        """Record `what` for `key` (the first time only)."""
        self.turns[key].setdefault(what, time.monotonic() if at is None else at)

    def export(self) -> dict[str, Any]:
        return {"turns": self.turns, "arrivals": self.arrivals}

    def reset(self) -> None:
        self.turns.clear()
        self.arrivals.clear()


def decode(frame: bytes | str) -> dict[str, Any]:
    """A speech-protocol message; `Audio` frames take the numpy fast path."""
    pcm = parse_audio_frame(frame)
    if pcm is not None:
        return {"type": "Audio", "pcm": pcm}
    message: dict[str, Any] = msgpack.unpackb(frame, raw=False)
    return message


def pack(message: dict[str, Any]) -> bytes:
    packed: bytes = msgpack.packb(message, use_bin_type=True, use_single_float=True)
    return packed


class TimedSender:
    """Sends frames in order, each no earlier than its due time, and reports when each
    one actually left."""

    def __init__(self, connection: ServerConnection) -> None:
        self._connection = connection
        self._queue: asyncio.Queue[tuple[float, bytes, Callable[[float], None] | None]] = (
            asyncio.Queue()
        )
        self.task = asyncio.create_task(self._run())

    def send_at(
        self, due: float, frame: bytes, on_sent: Callable[[float], None] | None = None
    ) -> None:
        self._queue.put_nowait((due, frame, on_sent))

    async def _run(self) -> None:
        while True:
            due, frame, on_sent = await self._queue.get()
            delay = due - time.monotonic()
            if delay > 0:
                await asyncio.sleep(delay)
            try:
                await self._connection.send(frame)
            except ConnectionClosed:
                return
            if on_sent is not None:
                on_sent(time.monotonic())
