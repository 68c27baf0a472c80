"""Voice activity from Silero VAD (v6), the neural detector the Whisper engine listens with.

The model is the ONNX file shipped inside the faster-whisper wheel, run with onnxruntime
directly: one session per server process, shared by every stream (each stream keeps its
own recurrent state). It judges 32 ms chunks of 16 kHz audio (0.1-0.2 ms each on one
core), so it runs in the server's event loop like the WebRTC detector, and its
decisions are handed on in the same 20 ms blocks (`voice_activity.AnalysedAudio`).

A chunk turns the voice on above `SPEECH_THRESHOLD` and off below `SILENCE_THRESHOLD`
(Silero's own hysteresis): a soft syllable inside a word keeps the voice on.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import numpy.typing as npt
import onnxruntime  # type: ignore[import-untyped]
import soxr

from backend.speech_protocol.constants import SAMPLE_RATE
from embedded.model_packages import ModelNotFound, package_folder
from embedded.stt.voice_activity import BLOCK_SAMPLES, RECOGNIZER_RATE, AnalysedAudio

CHUNK_SAMPLES = 512  # the only chunk size the v6 model takes at 16 kHz (32 ms)
CONTEXT_SAMPLES = 64  # the end of the previous chunk, which the model sees again
_STATE_SHAPE = (1, 1, 128)
SPEECH_THRESHOLD = 0.5  # Silero's defaults
SILENCE_THRESHOLD = 0.35
_MODEL_IN_WHEEL = "assets/silero_vad_v6.onnx"

State = tuple[npt.NDArray[np.float32], npt.NDArray[np.float32]]  # the LSTM's h and c


def silero_model_path() -> Path:
    """The ONNX model inside the installed faster-whisper package."""
    folder = package_folder("faster_whisper")
    if folder is None or not (folder / _MODEL_IN_WHEEL).is_file():
        raise ModelNotFound(
            "Silero VAD comes with the faster-whisper package, which is not installed: "
            "install the 'neural' extra (pip install -e '.[neural]')"
        )
    return folder / _MODEL_IN_WHEEL


class SileroModel:
    """One onnxruntime session; `speech_probability` is called from one thread at a time."""

    def __init__(self, path: Path | None = None) -> None:
        options = onnxruntime.SessionOptions()
        # A 32 ms chunk is far too small to split across threads; one keeps the event loop's
        # core to itself and leaves the others to the recognisers.
        options.intra_op_num_threads = 1
        options.inter_op_num_threads = 1
        options.enable_cpu_mem_arena = False  # the tensors are tiny; an arena only holds memory
        options.log_severity_level = 3
        self._session = onnxruntime.InferenceSession(
            str(path or silero_model_path()),
            sess_options=options,
            providers=["CPUExecutionProvider"],
        )

    def speech_probability(
        self, chunk: npt.NDArray[np.float32], state: State
    ) -> tuple[float, State]:
        """The probability that `chunk` (context + 512 samples) holds speech; the new state."""
        hidden, cell = state
        probability, hidden, cell = self._session.run(
            None, {"input": chunk[np.newaxis, :], "h": hidden, "c": cell}
        )
        return float(probability.reshape(-1)[0]), (hidden, cell)


class SileroVoiceActivityDetector:
    """One stream's detector: 24 kHz frames in, 16 kHz int16 blocks and decisions out."""

    def __init__(self, model: SileroModel) -> None:
        self._model = model
        self._resampler = soxr.ResampleStream(SAMPLE_RATE, RECOGNIZER_RATE, 1, dtype="float32")
        self._state: State = (
            np.zeros(_STATE_SHAPE, np.float32),
            np.zeros(_STATE_SHAPE, np.float32),
        )
        self._context = np.zeros(CONTEXT_SAMPLES, np.float32)
        self._unjudged = np.zeros(0, np.float32)  # audio not yet in a whole chunk
        self._unblocked = np.zeros(0, np.float32)  # audio not yet in a whole 20 ms block
        self._voiced = False
        self.last_probability = 0.0

    def analyse(self, frame: npt.NDArray[np.float32]) -> AnalysedAudio:
        """Resample `frame` (24 kHz float32) and decide every 20 ms block it completes.

        A block takes the decision of the chunk that holds its last sample when that chunk
        is complete, else of the newest complete chunk (at most 32 ms older).
        """
        resampled = np.clip(self._resampler.resample_chunk(frame), -1.0, 1.0)
        decisions = self._judge_chunks(resampled)  # (end sample within this call, voiced)
        samples = np.concatenate([self._unblocked, resampled])
        whole = len(samples) // BLOCK_SAMPLES * BLOCK_SAMPLES
        self._unblocked = samples[whole:]
        voiced: list[bool] = []
        carried = len(samples) - len(resampled)  # block samples from earlier calls
        for block_end in range(BLOCK_SAMPLES, whole + 1, BLOCK_SAMPLES):
            end_in_call = block_end - carried
            covering = [v for chunk_end, v in decisions if chunk_end >= end_in_call]
            voiced.append(covering[0] if covering else self._voiced)
        pcm16 = (samples[:whole] * 32767.0).astype(np.int16)
        return AnalysedAudio(pcm16.tobytes(), tuple(voiced))

    def _judge_chunks(self, resampled: npt.NDArray[np.float32]) -> list[tuple[int, bool]]:
        samples = np.concatenate([self._unjudged, resampled])
        carried = len(self._unjudged)
        decisions = []
        start = 0
        while start + CHUNK_SAMPLES <= len(samples):
            chunk = samples[start : start + CHUNK_SAMPLES]
            probability, self._state = self._model.speech_probability(
                np.concatenate([self._context, chunk]), self._state
            )
            self._context = chunk[-CONTEXT_SAMPLES:]
            self.last_probability = probability
            if probability >= SPEECH_THRESHOLD:
                self._voiced = True
            elif probability < SILENCE_THRESHOLD:
                self._voiced = False
            start += CHUNK_SAMPLES
            decisions.append((start - carried, self._voiced))
        self._unjudged = samples[start:]
        return decisions
