"""Voice activity: 24 kHz frames in, 16 kHz int16 PCM and one decision per 20 ms out.

The detector is WebRTC's (`webrtcvad`). pocketsphinx's `Vad` is the same algorithm and
gave identical decisions on our measurements, so the choice is only about packaging.
The 16 kHz PCM it produces is also what the recogniser consumes, so the resampling is
done once per frame, in the server process.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
import soxr
import webrtcvad

from backend.speech_protocol.constants import SAMPLE_RATE

RECOGNIZER_RATE = 16_000  # what pocketsphinx's en-us acoustic model was trained on
BLOCK_S = 0.02  # webrtcvad accepts 10, 20 or 30 ms; 20 ms divides an 80 ms frame evenly
BLOCK_SAMPLES = round(RECOGNIZER_RATE * BLOCK_S)
# Mode 3 (most aggressive) keeps the voiced tail shortest after speech ends (~0.1 s) and
# calls the fewest noise frames voice, at the price of a few short gaps inside words.
VAD_AGGRESSIVENESS = 3


@dataclass(frozen=True)
class AnalysedAudio:
    """Whole 20 ms blocks of 16 kHz int16 PCM and whether each one holds voice."""

    pcm16k: bytes
    voiced: tuple[bool, ...]


class VoiceActivityDetector:
    """Streaming: resampling and block boundaries carry over from one frame to the next."""

    def __init__(self) -> None:
        self._resampler = soxr.ResampleStream(SAMPLE_RATE, RECOGNIZER_RATE, 1, dtype="float32")
        self._vad = webrtcvad.Vad(VAD_AGGRESSIVENESS)
        self._pending = np.zeros(0, dtype=np.int16)

    def analyse(self, frame: npt.NDArray[np.float32]) -> AnalysedAudio:
        """Resample `frame` (24 kHz float32) and classify every block it completes."""
        resampled = self._resampler.resample_chunk(frame)
        pcm16 = (np.clip(resampled, -1.0, 1.0) * 32767.0).astype(np.int16)
        samples = np.concatenate([self._pending, pcm16])
        whole = len(samples) // BLOCK_SAMPLES * BLOCK_SAMPLES
        blocks = samples[:whole]
        self._pending = samples[whole:]
        voiced = tuple(
            bool(self._vad.is_speech(blocks[start : start + BLOCK_SAMPLES].tobytes(), 16_000))
            for start in range(0, whole, BLOCK_SAMPLES)
        )
        return AnalysedAudio(blocks.tobytes(), voiced)
