"""A Piper voice (a VITS model exported to ONNX, with its `.onnx.json`) run by onnxruntime.

Inputs, as Piper exports them: `input` (phoneme ids, int64 [1, n]), `input_lengths` ([n]),
`scales` (float32 [noise_scale, length_scale, noise_w]) and, for voices with several
speakers, `sid`. Output: `output`, float32 audio at the config's sample rate.

The graph computes each id's duration (in frames of audio) on the way, rounded up by its
only `Ceil` node. At load time that tensor is made a second output, so word timings
come from the model itself; a graph without a single `Ceil` still speaks, and its words
are timed by estimate.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import json
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import numpy.typing as npt
import onnx
import onnxruntime  # type: ignore[import-untyped]
from pydantic import BaseModel, ValidationError

from embedded.model_packages import ModelNotFound
from embedded.tts.piper_phonemes import BOS, EOS, PAD

_LIBC = ctypes.CDLL(ctypes.util.find_library("c")) if ctypes.util.find_library("c") else None
if _LIBC is not None and not hasattr(_LIBC, "malloc_trim"):  # not glibc
    _LIBC = None

VOICE_HINT = "pass --voice PATH to a Piper .onnx file with its .onnx.json beside it"


class InvalidVoice(ValueError):
    """A Piper voice file exists but cannot be used; the message says why."""


class _Audio(BaseModel):
    sample_rate: int


class _Espeak(BaseModel):
    voice: str


class _Inference(BaseModel):
    noise_scale: float = 0.667
    length_scale: float = 1.0
    noise_w: float = 0.8


class PiperConfig(BaseModel):
    """The fields of a voice's `.onnx.json` that synthesis needs."""

    audio: _Audio
    espeak: _Espeak
    inference: _Inference = _Inference()
    phoneme_type: str = "espeak"
    phoneme_id_map: dict[str, list[int]]
    num_speakers: int = 1


@dataclass(frozen=True)
class Synthesis:
    audio: npt.NDArray[np.float32]  # at the voice's own sample rate
    # Per id, how many audio samples it lasts; None when the graph does not tell.
    id_samples: npt.NDArray[np.float64] | None


class PiperVoice:
    """One loaded voice; `synthesize` may be called from several threads at once."""

    def __init__(self, model_path: Path, threads: int = 1) -> None:
        self.model_path = model_path
        self.config = read_config(model_path)
        self.sample_rate = self.config.audio.sample_rate
        self.espeak_voice = self.config.espeak.voice
        self.num_speakers = self.config.num_speakers
        self._session, self._durations_output = _open_session(model_path, threads)
        self._wants_speaker = "sid" in {given.name for given in self._session.get_inputs()}

    @property
    def language(self) -> str:
        """The language part of the espeak voice, e.g. "en" or "fr"."""
        return self.espeak_voice.split("-")[0].split("+")[0].lower()

    @property
    def times_words_from_durations(self) -> bool:
        return self._durations_output is not None

    def synthesize(
        self,
        ids: Sequence[int],
        *,
        length_scale: float = 1.0,
        speaker_id: int = 0,
    ) -> Synthesis:
        """Speak phoneme ids; `length_scale` > 1 speaks slower (on top of the voice's own)."""
        inference = self.config.inference
        feeds: dict[str, npt.NDArray[np.generic]] = {
            "input": np.asarray([ids], np.int64),
            "input_lengths": np.asarray([len(ids)], np.int64),
            "scales": np.asarray(
                [
                    inference.noise_scale,
                    inference.length_scale * length_scale,
                    inference.noise_w,
                ],
                np.float32,
            ),
        }
        if self._wants_speaker:
            feeds["sid"] = np.asarray([min(max(speaker_id, 0), self.num_speakers - 1)], np.int64)
        outputs = (
            ["output"] if self._durations_output is None else ["output", self._durations_output]
        )
        results = self._session.run(outputs, feeds)
        release_freed_memory()
        audio = np.asarray(results[0], np.float32).reshape(-1)
        return Synthesis(audio=audio, id_samples=_id_samples(results[1:], len(ids), len(audio)))


def read_config(model_path: Path) -> PiperConfig:
    """The `.onnx.json` beside `model_path`; a clear error when either file is unusable."""
    config_path = model_path.with_name(model_path.name + ".json")
    if not model_path.is_file():
        raise ModelNotFound(f"no Piper voice at {model_path}: {VOICE_HINT}")
    if not config_path.is_file():
        raise ModelNotFound(f"{config_path} is missing (every Piper voice has one): {VOICE_HINT}")
    try:
        config = PiperConfig.model_validate(json.loads(config_path.read_text()))
    except ValidationError as error:
        problems = "; ".join(
            f"{'.'.join(str(part) for part in problem['loc'])}: {problem['msg']}"
            for problem in error.errors()
        )
        raise InvalidVoice(f"{config_path} is not a Piper voice config ({problems})") from None
    except ValueError as error:  # not JSON, or not UTF-8
        raise InvalidVoice(f"{config_path} is not a Piper voice config: {error}") from None
    if config.phoneme_type != "espeak":
        raise InvalidVoice(
            f"{model_path} reads {config.phoneme_type!r} phonemes; only espeak voices are supported"
        )
    missing = [symbol for symbol in (BOS, EOS, PAD) if symbol not in config.phoneme_id_map]
    if missing:
        raise InvalidVoice(f"{config_path}: phoneme_id_map lacks {' '.join(missing)}")
    return config


def _open_session(
    model_path: Path, threads: int
) -> tuple[onnxruntime.InferenceSession, str | None]:
    try:
        model = onnx.load(str(model_path))
    except Exception as error:  # protobuf raises its own decode errors
        raise InvalidVoice(f"{model_path} is not an ONNX model: {error}") from None
    durations = _expose_durations(model)
    options = onnxruntime.SessionOptions()
    options.intra_op_num_threads = threads
    options.inter_op_num_threads = 1
    options.execution_mode = onnxruntime.ExecutionMode.ORT_SEQUENTIAL
    # Busy-waiting worker threads would take CPU from the STT and LLM sharing the machine.
    options.add_session_config_entry("session.intra_op.allow_spinning", "0")
    # An arena would keep the largest phrase's activations (~90 MB) for good; without it
    # a phrase costs ~40 % more compute, still far faster than real time.
    options.enable_cpu_mem_arena = False
    # A session made from a file holds ~60 MB less than one made from bytes.
    with tempfile.TemporaryDirectory(prefix="piper-") as folder:
        edited = Path(folder) / model_path.name
        onnx.save(model, str(edited))
        del model
        try:
            session = onnxruntime.InferenceSession(
                str(edited), options, providers=["CPUExecutionProvider"]
            )
        except Exception as error:  # onnxruntime raises its own exception types
            raise InvalidVoice(f"onnxruntime cannot run {model_path}: {error}") from None
    release_freed_memory()
    names = {given.name for given in session.get_inputs()}
    if not {"input", "input_lengths", "scales"} <= names:
        raise InvalidVoice(f"{model_path} is not a Piper voice (its inputs: {sorted(names)})")
    return session, durations


def release_freed_memory() -> None:
    """Hand memory freed by the C++ side back to the system (glibc keeps it otherwise)."""
    if _LIBC is not None:
        _LIBC.malloc_trim(0)


def _expose_durations(model: onnx.ModelProto) -> str | None:
    """Make the graph's rounded phoneme durations an output; their name, or None."""
    ceilings = [node for node in model.graph.node if node.op_type == "Ceil"]
    if len(ceilings) != 1:
        return None
    name: str = ceilings[0].output[0]
    model.graph.output.append(
        onnx.helper.make_tensor_value_info(name, onnx.TensorProto.FLOAT, None)
    )
    return name


def _id_samples(
    extra: Sequence[object], id_count: int, audio_samples: int
) -> npt.NDArray[np.float64] | None:
    """Per-id durations in audio samples (a frame is audio length / total frames)."""
    if not extra:
        return None
    frames = np.asarray(extra[0], np.float64).reshape(-1)
    total = float(frames.sum())
    if len(frames) != id_count or total <= 0 or not np.isfinite(frames).all():
        return None
    result: npt.NDArray[np.float64] = frames * (audio_samples / total)
    return result
