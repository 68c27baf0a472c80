"""Cut a stream of phrase audio into 1920-sample frames, each word's Text ahead of it.

Timestamps are seconds of output audio since the start of the stream. A word's `Text`
goes out before the first frame that contains the word's start, so a client can show
the subtitle the moment it plays the audio. Pure: messages out, no I/O.
"""

from __future__ import annotations

from collections import deque

import numpy as np
import numpy.typing as npt

from embedded.tts.messages import FRAME_SAMPLES, AudioOut, ServerMessage, TextOut
from embedded.tts.synthesizer import SAMPLE_RATE, TimedWord


class AudioFramer:
    def __init__(self) -> None:
        self._pending = np.zeros(0, np.float32)
        self._frames_sent = 0
        self._samples_pushed = 0
        self._words: deque[TextOut] = deque()

    @property
    def pushed_s(self) -> float:
        """Seconds of audio pushed so far (where the next audio will start)."""
        return self._samples_pushed / SAMPLE_RATE

    @property
    def frames_sent(self) -> int:
        return self._frames_sent

    def push(self, audio: npt.NDArray[np.float32], words: list[TimedWord]) -> list[ServerMessage]:
        """Append a phrase whose word times are relative to its own start."""
        offset = self.pushed_s
        self._words.extend(
            TextOut(text=word.text, start_s=offset + word.start_s, stop_s=offset + word.stop_s)
            for word in words
        )
        self._pending = np.concatenate([self._pending, audio.astype(np.float32, copy=False)])
        self._samples_pushed += len(audio)
        return self._drain()

    def push_silence(self, seconds: float) -> list[ServerMessage]:
        return self.push(np.zeros(round(seconds * SAMPLE_RATE), np.float32), [])

    def finish(self) -> list[ServerMessage]:
        """Everything left: remaining words, then the last frame padded with silence."""
        messages: list[ServerMessage] = list(self._words)
        self._words.clear()
        if len(self._pending):
            padding = np.zeros(FRAME_SAMPLES - len(self._pending), np.float32)
            messages.append(AudioOut(np.concatenate([self._pending, padding])))
            self._samples_pushed += len(padding)
            self._pending = np.zeros(0, np.float32)
            self._frames_sent += 1
        return messages

    def _drain(self) -> list[ServerMessage]:
        messages: list[ServerMessage] = []
        while len(self._pending) >= FRAME_SAMPLES:
            frame_end_s = (self._frames_sent + 1) * FRAME_SAMPLES / SAMPLE_RATE
            while self._words and self._words[0].start_s < frame_end_s:
                messages.append(self._words.popleft())
            messages.append(AudioOut(self._pending[:FRAME_SAMPLES].copy()))
            self._pending = self._pending[FRAME_SAMPLES:]
            self._frames_sent += 1
        return messages
