"""A `tts_streaming` server: first audio a fixed delay after the first word, then audio
at a fixed multiple of real time, `WORD_AUDIO_S` of recorded speech per word."""

from __future__ import annotations

import asyncio
import time

import numpy as np
import numpy.typing as npt
from websockets.asyncio.server import ServerConnection

from backend.speech_protocol.audio_frames import pack_audio_frame
from benchmarks.fixed_latency.common import (
    FRAME,
    KEY_PATTERN,
    SAMPLE_RATE,
    Latencies,
    Trace,
    decode,
    pack,
)

WORD_AUDIO_S = 0.25


class FixedLatencyTts:
    def __init__(self, latencies: Latencies, trace: Trace, voice: npt.NDArray[np.float32]) -> None:
        self.latencies = latencies
        self.trace = trace
        self.voice = voice
        self._offset = 0

    def _speech(self, seconds: float) -> npt.NDArray[np.float32]:
        """The next `seconds` of the looping recorded voice."""
        count = int(seconds * SAMPLE_RATE)
        indices = (self._offset + np.arange(count)) % self.voice.size
        self._offset = (self._offset + count) % self.voice.size
        return self.voice[indices]

    async def serve_stream(self, connection: ServerConnection) -> None:
        await connection.send(pack({"type": "Ready"}))
        stream = _Stream(connection, self.latencies, self.trace)
        pump: asyncio.Task[None] | None = None
        try:
            async for raw in connection:
                message = decode(raw)
                kind = message.get("type")
                if kind == "Text":
                    text = str(message.get("text", ""))
                    if pump is None:
                        pump = asyncio.create_task(stream.pump(text, time.monotonic()))
                    start = stream.words * WORD_AUDIO_S
                    timing = {"type": "Text", "text": text, "start_s": start}
                    await connection.send(pack({**timing, "stop_s": start + WORD_AUDIO_S}))
                    stream.add(self._speech(WORD_AUDIO_S))
                elif kind == "Eos":
                    stream.end()
                    if pump is not None:
                        await pump
                    else:
                        await connection.close()
                    return
        finally:
            if pump is not None:
                pump.cancel()


class _Stream:
    def __init__(self, connection: ServerConnection, latencies: Latencies, trace: Trace) -> None:
        self._connection = connection
        self._latencies = latencies
        self._trace = trace
        self._unsent = np.zeros(0, dtype=np.float32)
        self._more = asyncio.Event()
        self._ended = False
        self.words = 0

    def add(self, audio: npt.NDArray[np.float32]) -> None:
        self._unsent = np.concatenate([self._unsent, audio])
        self.words += 1
        self._more.set()

    def end(self) -> None:
        self._ended = True
        self._more.set()

    async def pump(self, first_word: str, first_word_at: float) -> None:
        """Send frame k at first audio + k frames / speed, once its audio exists."""
        key = first_word if KEY_PATTERN.fullmatch(first_word) else None
        if key is not None:
            self._trace.stamp(key, "tts_first_word_received", first_word_at)
        started = first_word_at + self._latencies.tts_first_audio_s
        frame_s = FRAME / SAMPLE_RATE / self._latencies.tts_speed
        sent = 0
        while True:
            while self._unsent.size < FRAME and not self._ended:
                self._more.clear()
                await self._more.wait()
            if self._unsent.size == 0:
                break
            if self._unsent.size < FRAME:  # the end: pad the last frame
                padding = np.zeros(FRAME - self._unsent.size, np.float32)
                self._unsent = np.concatenate([self._unsent, padding])
            delay = started + sent * frame_s - time.monotonic()
            if delay > 0:
                await asyncio.sleep(delay)
            frame, self._unsent = self._unsent[:FRAME], self._unsent[FRAME:]
            await self._connection.send(pack_audio_frame(frame))
            if key is not None and sent == 0:
                self._trace.stamp(key, "tts_first_audio_sent")
            sent += 1
        await self._connection.close()
