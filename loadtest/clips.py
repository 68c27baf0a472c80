"""The spoken clips simulated users say: real speech, 24 kHz mono float32, silence trimmed.

Clips come from a directory of audio files (any format sphn reads: WAV, FLAC, MP3, Ogg),
or are synthesised once with Debian's `flite` (voice `kal16`) and cached on disk. The
text of a file clip is read from a `.txt` file of the same name when there is one.
`flite_speech` is also what the test suites speak with, so a sentence always sounds the
same, and the speech recogniser's accuracy figures hold for both.
"""

from __future__ import annotations

import hashlib
import io
import shutil
import subprocess
import tempfile
import wave
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import numpy.typing as npt
import soxr
import sphn

SAMPLE_RATE = 24_000
FLITE_VOICE = "kal16"
# flite's untrimmed output, 24 kHz, keyed by voice and text: made once per machine.
CACHE_DIR = Path(tempfile.gettempdir()) / "unmute-speech-clips"
AUDIO_SUFFIXES = (".wav", ".flac", ".mp3", ".ogg", ".opus")
# Below this amplitude a sample counts as silence when trimming a clip's ends: far under
# speech, far over the dither or hiss of a recording.
SILENCE_LEVEL = 0.01
# Kept around the trimmed speech so onsets and fades stay natural.
TRIM_MARGIN_S = 0.02

# Short things people say to a voice assistant, in common words any recogniser knows.
DEFAULT_SENTENCES: tuple[str, ...] = (
    "hello how are you today",
    "what is the weather like in paris",
    "can you tell me a funny story",
    "what time is it right now",
    "i would like a cup of coffee please",
    "do you know where my keys are",
    "tell me something about the moon",
    "what should i cook for dinner tonight",
)

Pcm = npt.NDArray[np.float32]


@dataclass(frozen=True)
class SpeechClip:
    text: str
    pcm: Pcm

    @property
    def duration_s(self) -> float:
        return self.pcm.size / SAMPLE_RATE


class ClipsUnavailableError(RuntimeError):
    """No clips could be found or made; the message says what to do."""


def trim_silence(pcm: Pcm, level: float = SILENCE_LEVEL) -> Pcm:
    """`pcm` from its first to its last sample above `level`, plus a small margin."""
    loud = np.flatnonzero(np.abs(pcm) > level)
    if loud.size == 0:
        return pcm[:0]
    margin = int(TRIM_MARGIN_S * SAMPLE_RATE)
    start = max(0, int(loud[0]) - margin)
    stop = min(pcm.size, int(loud[-1]) + 1 + margin)
    return np.ascontiguousarray(pcm[start:stop], dtype=np.float32)


def read_audio(path: Path) -> Pcm:
    """A file's audio as 24 kHz mono float32 (channels averaged)."""
    data, _ = sphn.read(str(path), sample_rate=SAMPLE_RATE)
    samples = np.asarray(data, dtype=np.float32)
    mono = samples.mean(axis=0) if samples.ndim == 2 else samples
    return np.ascontiguousarray(mono, dtype=np.float32)


def load_clip_directory(directory: Path) -> list[SpeechClip]:
    """Every audio file of `directory` (sorted by name), trimmed; silent files skipped."""
    if not directory.is_dir():
        raise ClipsUnavailableError(f"clip directory {directory} does not exist")
    clips: list[SpeechClip] = []
    for path in sorted(directory.iterdir()):
        if path.suffix.lower() not in AUDIO_SUFFIXES:
            continue
        pcm = trim_silence(read_audio(path))
        if pcm.size == 0:
            continue
        transcript = path.with_suffix(".txt")
        text = transcript.read_text().strip() if transcript.is_file() else path.stem
        clips.append(SpeechClip(text=text, pcm=pcm))
    if not clips:
        raise ClipsUnavailableError(f"no audio files with speech in {directory}")
    return clips


def synthesise_clip(text: str, voice: str = FLITE_VOICE) -> SpeechClip:
    """`text` spoken by flite, trimmed."""
    return SpeechClip(text=text, pcm=trim_silence(flite_speech(text, voice)))


def flite_speech(text: str, voice: str = FLITE_VOICE) -> Pcm:
    """`text` spoken by flite as 24 kHz float32, untrimmed; synthesised once per machine,
    then read from the cache."""
    cached = flite_cache_path(text, voice)
    if cached.exists():
        pcm: Pcm = np.load(cached)
        return pcm
    pcm = _run_flite(text, voice)
    CACHE_DIR.mkdir(parents=True, exist_ok=True)
    # Write then rename: a parallel run never reads a half-written file.
    with tempfile.NamedTemporaryFile(dir=CACHE_DIR, suffix=".partial", delete=False) as partial:
        np.save(partial, pcm)
    Path(partial.name).replace(cached)
    return pcm


def flite_cache_path(text: str, voice: str = FLITE_VOICE) -> Path:
    digest = hashlib.sha256(f"{voice}\n{text}".encode()).hexdigest()[:24]
    return CACHE_DIR / f"{voice}-{digest}.npy"


def _run_flite(text: str, voice: str) -> Pcm:
    flite = shutil.which("flite")
    if flite is None:
        raise ClipsUnavailableError(
            "speech clips need the `flite` program (`apt-get install flite`) "
            "or a directory of recordings (--clips DIR)"
        )
    with tempfile.TemporaryDirectory() as scratch:
        wav_path = Path(scratch) / "clip.wav"
        subprocess.run(
            [flite, "-voice", voice, "-t", text, "-o", str(wav_path)],
            check=True,
            capture_output=True,
        )
        wav_bytes = wav_path.read_bytes()
    with wave.open(io.BytesIO(wav_bytes)) as wav:
        if wav.getsampwidth() != 2 or wav.getnchannels() != 1:
            raise ClipsUnavailableError("flite is expected to write 16-bit mono WAV")
        rate = wav.getframerate()
        frames = wav.readframes(wav.getnframes())
    pcm16 = np.frombuffer(frames, dtype=np.int16).astype(np.float32) / 32768.0
    return np.ascontiguousarray(soxr.resample(pcm16, rate, SAMPLE_RATE), dtype=np.float32)


def load_clips(
    directory: Path | None = None, sentences: Sequence[str] = DEFAULT_SENTENCES
) -> list[SpeechClip]:
    """The clips of `directory`, or `sentences` spoken by flite when no directory is given."""
    if directory is not None:
        return load_clip_directory(directory)
    return [synthesise_clip(text) for text in sentences]
