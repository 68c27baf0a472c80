"""The two recognition engines, and what each runs where.

- `pocketsphinx` (the default, no extra dependencies): WebRTC VAD in the server process,
  pocketsphinx in each worker process. Light, but it understands real voices poorly.
- `whisper` (the `neural` extra): Silero VAD in the server process, Whisper (CTranslate2,
  int8) in each worker process, words committed by `LocalAgreement` while the speaker talks.

Either way the VAD runs in the server's event loop, because its decisions drive every
`Step`'s pause probabilities, which must not wait for a busy recogniser; each slot's
recogniser runs in a process of its own (`worker_pool`).
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:  # the command line imports this module: it loads no engine by itself
    import numpy as np
    import numpy.typing as npt

    from embedded.stt.voice_activity import AnalysedAudio
    from embedded.stt.word_commit import TimedWord

# Whisper's CTranslate2 threads per recogniser process. One: each process serves one stream,
# the host has two cores shared with the backend, the TTS and the LLM, and Whisper's small
# matrices gain nothing from a second thread (measured on a 2.7 s sentence, the other core
# partly busy: 66-67 ms per transcription with one thread, 82-84 ms and 1.6x the CPU time
# with two).
DEFAULT_WHISPER_THREADS = 1
# Streams at once by default. A Whisper process holds ~150 MB (115 MB PSS; 230 MB while it
# loads its model) and spends ~56 ms per transcription, one per 0.4 s of speech: two
# fit a 2-core host beside the backend, the TTS and the LLM, with the whole neural stack
# measured at 1.35 GiB resident.
DEFAULT_SLOTS = {"pocketsphinx": 4, "whisper": 2}


class EngineName(StrEnum):
    POCKETSPHINX = "pocketsphinx"
    WHISPER = "whisper"


class Recognizer(Protocol):
    """One stream's recognition in a worker process (`SpeechRecognizer`, `WhisperRecognizer`)."""

    @property
    def in_utterance(self) -> bool: ...

    def reset(self) -> None: ...

    def feed(
        self, pcm16k: bytes, voiced: Sequence[bool], *, behind: bool = False
    ) -> list[TimedWord]: ...

    def finish(self) -> list[TimedWord]: ...


class FrameAnalyser(Protocol):
    """One stream's VAD in the server process (`VoiceActivityDetector` and Silero's)."""

    def analyse(self, frame: npt.NDArray[np.float32]) -> AnalysedAudio: ...


@dataclass(frozen=True)
class SttEngine:
    name: EngineName = EngineName.POCKETSPHINX
    model: Path | None = None  # whisper: a CTranslate2 Whisper folder
    threads: int = DEFAULT_WHISPER_THREADS

    def worker_command(self) -> tuple[str, ...]:
        """How the server starts one of this engine's recogniser processes."""
        command = [sys.executable, "-m", "embedded.stt.worker", "--engine", self.name.value]
        if self.name is EngineName.WHISPER:
            if self.model is None:
                raise ValueError("the whisper engine needs a model folder")
            command += ["--model", str(self.model), "--threads", str(self.threads)]
        return tuple(command)

    def voice_activity(self) -> Callable[[], FrameAnalyser]:
        """A factory of per-stream detectors; a model is loaded once, here."""
        if self.name is EngineName.WHISPER:
            from embedded.stt.silero_vad import SileroModel, SileroVoiceActivityDetector

            model = SileroModel()
            return lambda: SileroVoiceActivityDetector(model)
        from embedded.stt.voice_activity import VoiceActivityDetector

        return VoiceActivityDetector

    def create_recognizer(self) -> Recognizer:
        """This engine's recogniser, models loaded (in a worker process)."""
        if self.name is EngineName.WHISPER:
            from embedded.stt.whisper_recognizer import WhisperRecognizer
            from embedded.stt.whisper_transcriber import WhisperSettings, WhisperTranscriber

            if self.model is None:
                raise ValueError("the whisper engine needs a model folder")
            transcriber = WhisperTranscriber(WhisperSettings(self.model, self.threads))
            return WhisperRecognizer(transcriber.transcribe)
        from embedded.stt.recognizer import SpeechRecognizer

        return SpeechRecognizer()


def whisper_engine(model: Path | None = None, threads: int = DEFAULT_WHISPER_THREADS) -> SttEngine:
    """The Whisper engine with `model` (default: the packaged tiny.en), checked before use.

    Raises `ModelNotFound` or `InvalidWhisperModel` with a message that says what to do.
    """
    from embedded.model_packages import WHISPER_TINY_EN
    from embedded.stt.silero_vad import silero_model_path
    from embedded.stt.whisper_transcriber import check_model_folder

    folder = model if model is not None else WHISPER_TINY_EN.path()
    check_model_folder(folder)
    silero_model_path()  # it comes with faster-whisper: missing only without the extra
    return SttEngine(EngineName.WHISPER, folder.resolve(), threads)
