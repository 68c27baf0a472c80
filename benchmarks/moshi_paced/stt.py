"""An `asr-streaming` server with moshi-server's pacing: one model step per 80 ms frame."""

from __future__ import annotations

import time

import numpy as np
import numpy.typing as npt
from websockets.asyncio.server import ServerConnection

from benchmarks.fixed_latency.common import FRAME, SAMPLE_RATE, TimedSender, decode, pack

MODEL_STEP_S = 0.025
WORD_DELAY_FRAMES = 6  # the model's text stream lags its audio by ~0.5 s
FRAMES_PER_WORD = 4  # ~3 words a second of speech
PAUSE_AFTER_SILENT_FRAMES = 6
VOICE_RMS = 0.01  # speech frames are far above, silence far below
WORDS = ("could", "you", "tell", "me", "something", "about", "the", "weather", "today")


class PacedStt:
    async def serve_stream(self, connection: ServerConnection) -> None:
        await connection.send(pack({"type": "Ready"}))
        sender = TimedSender(connection)
        stream = _Stream()
        try:
            async for raw in connection:
                message = decode(raw)
                if message.get("type") != "Audio":
                    continue
                now = time.monotonic()
                stream.pending = np.concatenate([stream.pending, message["pcm"]])
                while stream.pending.size >= FRAME:
                    frame, stream.pending = stream.pending[:FRAME], stream.pending[FRAME:]
                    # The model takes frames one at a time: a burst queues behind it.
                    stream.busy_until = max(now, stream.busy_until) + MODEL_STEP_S
                    for answer in stream.step(frame):
                        sender.send_at(stream.busy_until, pack(answer))
        finally:
            sender.task.cancel()


class _Stream:
    def __init__(self) -> None:
        self.pending: npt.NDArray[np.float32] = np.zeros(0, np.float32)
        self.busy_until = 0.0
        self.step_idx = 0
        self.silent_frames = PAUSE_AFTER_SILENT_FRAMES
        self.voiced_frames = 0
        self.words_said = 0
        # Words heard but not yet written: (frame at which the text comes out, start time).
        self.due_words: list[tuple[int, float]] = []

    def step(self, frame: npt.NDArray[np.float32]) -> list[dict[str, object]]:
        now_s = self.step_idx * FRAME / SAMPLE_RATE
        voiced = float(np.sqrt(np.mean(np.square(frame)))) > VOICE_RMS
        if voiced:
            if self.silent_frames > 0 or self.voiced_frames % FRAMES_PER_WORD == 0:
                self.due_words.append((self.step_idx + WORD_DELAY_FRAMES, now_s))
            self.voiced_frames += 1
            self.silent_frames = 0
        else:
            self.voiced_frames = 0
            self.silent_frames += 1
        answers: list[dict[str, object]] = []
        while self.due_words and self.due_words[0][0] <= self.step_idx:
            _, start = self.due_words.pop(0)
            text = WORDS[self.words_said % len(WORDS)]
            self.words_said += 1
            answers.append({"type": "Word", "text": text, "start_time": start})
            answers.append({"type": "EndWord", "stop_time": start + 0.3})
        pause = 0.95 if self.silent_frames >= PAUSE_AFTER_SILENT_FRAMES else 0.02
        answers.append(
            {"type": "Step", "step_idx": self.step_idx, "prs": [pause] * 4, "buffered_pcm": 0}
        )
        self.step_idx += 1
        return answers
