"""Cut a stream of phrase audio into 1920-sample frames, each word's Text ahead of it.

Timestamps are seconds of output audio since the start of the stream. A word's `Text`
goes out before the first frame that contains the word's start, so a client can show
the subtitle the moment it plays the audio. Pure: messages out, no I/O.
"""

from __future__ import annotations

from collections import deque

import numpy as np
import numpy.typing as npt

from backend.speech_protocol.codec import Audio
from backend.speech_protocol.constants import FRAME_SAMPLES, SAMPLE_RATE
from backend.speech_protocol.tts_messages import TextTiming
from embedded.tts.synthesizer import TimedWord

FramedMessage = Audio | TextTiming


class AudioFramer:
    def __init__(self) -> None:
        self._pending = np.zeros(0, np.float32)
        self._frames_sent = 0
        self._samples_pushed = 0
        self._words: deque[TextTiming] = deque()

    @property
    def pushed_s(self) -> float:
        """Seconds of audio pushed so far (where the next audio will start)."""
        return self._samples_pushed / SAMPLE_RATE

    @property
    def frames_sent(self) -> int:
        return self._frames_sent

    def push(self, audio: npt.NDArray[np.float32], words: list[TimedWord]) -> list[FramedMessage]:
        """Append a phrase whose word times are relative to its own start."""
        offset = self.pushed_s
        self._words.extend(
            TextTiming(text=word.text, start_s=offset + word.start_s, stop_s=offset + word.stop_s)
            for word in words
        )
        self._pending = np.concatenate([self._pending, audio.astype(np.float32, copy=False)])
        self._samples_pushed += len(audio)
        return self._drain()

    def push_silence(self, seconds: float) -> list[FramedMessage]:
        return self.push(np.zeros(round(seconds * SAMPLE_RATE), np.float32), [])

    def finish(self) -> list[FramedMessage]:
        """Everything left: remaining words, then the last frame padded with silence."""
        messages: list[FramedMessage] = list(self._words)
        self._words.clear()
        if len(self._pending):
            padding = np.zeros(FRAME_SAMPLES - len(self._pending), np.float32)
            messages.append(Audio(np.concatenate([self._pending, padding])))
            self._samples_pushed += len(padding)
            self._pending = np.zeros(0, np.float32)
            self._frames_sent += 1
        return messages

    def _drain(self) -> list[FramedMessage]:
        messages: list[FramedMessage] = []
        while len(self._pending) >= FRAME_SAMPLES:
            frame_end_s = (self._frames_sent + 1) * FRAME_SAMPLES / SAMPLE_RATE
            while self._words and self._words[0].start_s < frame_end_s:
                messages.append(self._words.popleft())
            messages.append(Audio(self._pending[:FRAME_SAMPLES].copy()))
            self._pending = self._pending[FRAME_SAMPLES:]
            self._frames_sent += 1
        return messages
