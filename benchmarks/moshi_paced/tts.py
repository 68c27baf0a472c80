"""A `tts_streaming` server with moshi-server's message shapes: a `Text` message before
each word's audio, and `Audio` messages of one 80 ms frame as a msgpack array of floats."""

from __future__ import annotations

import asyncio
import time

import numpy as np
import numpy.typing as npt
from websockets.asyncio.server import ServerConnection

from benchmarks.fixed_latency.common import FRAME, SAMPLE_RATE, decode, pack

FIRST_AUDIO_S = 0.08
SPEED = 4.0  # audio seconds per wall second once audio flows
FRAMES_PER_WORD = 3  # 0.24 s of speech per word
FRAME_S = FRAME / SAMPLE_RATE


class PacedTts:
    def __init__(self, voice: npt.NDArray[np.float32]) -> None:
        self._voice = voice
        self._offset = 0

    def _next_frame(self) -> list[float]:
        indices = (self._offset + np.arange(FRAME)) % self._voice.size
        self._offset = (self._offset + FRAME) % self._voice.size
        frame: list[float] = self._voice[indices].tolist()
        return frame

    async def serve_stream(self, connection: ServerConnection) -> None:
        await connection.send(pack({"type": "Ready"}))
        words: asyncio.Queue[str | None] = asyncio.Queue()
        speaker: asyncio.Task[None] | None = None
        try:
            async for raw in connection:
                message = decode(raw)
                if message.get("type") == "Text":
                    if speaker is None:
                        speaker = asyncio.create_task(self._speak(connection, words))
                    words.put_nowait(str(message.get("text", "")))
                elif message.get("type") == "Eos":
                    words.put_nowait(None)
                    break
            if speaker is not None:
                await speaker
            await connection.close()
        finally:
            if speaker is not None:
                speaker.cancel()  # the backend left mid-reply (a barge-in)

    async def _speak(self, connection: ServerConnection, words: asyncio.Queue[str | None]) -> None:
        started = time.monotonic() + FIRST_AUDIO_S
        sent_frames = 0
        while (word := await words.get()) is not None:
            start_s = sent_frames * FRAME_S
            stop_s = start_s + FRAMES_PER_WORD * FRAME_S
            await connection.send(
                pack({"type": "Text", "text": word, "start_s": start_s, "stop_s": stop_s})
            )
            for _ in range(FRAMES_PER_WORD):
                delay = started + sent_frames * FRAME_S / SPEED - time.monotonic()
                if delay > 0:
                    await asyncio.sleep(delay)
                await connection.send(pack({"type": "Audio", "pcm": self._next_frame()}))
                sent_frames += 1
