"""Re-framing: PCM of any length in, whole 1920-sample (80 ms) frames out."""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from backend.speech_protocol.constants import FRAME_SAMPLES


class FrameAssembler:
    """Cuts a stream of PCM chunks into fixed frames; the remainder waits for more audio."""

    def __init__(self, frame_samples: int = FRAME_SAMPLES) -> None:
        self.frame_samples = frame_samples
        self._pending = np.zeros(0, dtype=np.float32)

    @property
    def buffered(self) -> int:
        """Samples received that do not fill a frame yet (`Step.buffered_pcm`)."""
        return len(self._pending)

    def push(self, pcm: npt.NDArray[np.float32]) -> list[npt.NDArray[np.float32]]:
        """Every frame that `pcm` completes, in order."""
        samples = np.concatenate([self._pending, pcm]) if len(self._pending) else pcm
        whole = len(samples) // self.frame_samples * self.frame_samples
        frames = [
            samples[start : start + self.frame_samples].copy()
            for start in range(0, whole, self.frame_samples)
        ]
        self._pending = samples[whole:].copy()
        return frames
