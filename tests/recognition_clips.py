"""The fixed clip set that recognition accuracy is measured on, and how transcripts are compared.

Sentences of `speech_clips` spoken by several synthetic voices (flite's and espeak-ng's,
through the TTS engine's own binding), clean and with noise at 20 and 10 dB SNR
(relative to the speech's active level, a fixed seed per clip, so a clip is the same on
every run). The noise is white unless asked otherwise: the hardest for a recogniser, as
it masks the consonants' high frequencies as much as the vowels; pink and brown noise,
whose power falls with frequency like most room and traffic noise, are there to compare.
The active level counts samples above `ACTIVE_LEVEL`, which puts it 1.2-3.5 dB above the
whole clip's level (measured): the noise is that much louder than a whole-clip SNR says.

espeak speaks in a process of its own, since libespeak-ng allows one user per process and
the TTS tests have theirs; its clips are cached on disk like flite's.

Whisper writes "Hello, how are you?" where the reference says "hello how are you":
`normalise` makes them comparable before `word_error_rate`.
"""

from __future__ import annotations

import hashlib
import os
import re
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import numpy.typing as npt
import soxr

from embedded.tts.espeak import Espeak, EspeakParams
from loadtest.clips import CACHE_DIR
from tests.speech_clips import SAMPLE_RATE, SENTENCES, speak

FLITE_VOICES = ("flite:kal16", "flite:slt", "flite:awb", "flite:rms")
ESPEAK_VOICES = ("espeak:en-us", "espeak:en-us+f2", "espeak:en-us+m3")
VOICES = FLITE_VOICES + ESPEAK_VOICES
NOISE_LEVELS_DB: tuple[float | None, ...] = (None, 20.0, 10.0)  # None: clean
ACTIVE_LEVEL = 0.01  # samples above this count towards the speech's level
# Power spectrum slope of each noise colour: power proportional to frequency ** exponent.
NOISE_EXPONENTS = {"white": 0.0, "pink": -1.0, "brown": -2.0}
_LOWEST_SHAPED_HZ = 20.0  # below this, coloured noise is flat (no endless rumble)
_NUMBERS = (
    *("zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten"),
    *("eleven", "twelve", "thirteen", "fourteen", "fifteen", "sixteen", "seventeen"),
    *("eighteen", "nineteen", "twenty"),
)
_NOT_SPOKEN = re.compile(r"[^a-z0-9' ]+")

Pcm = npt.NDArray[np.float32]


@dataclass(frozen=True)
class Clip:
    text: str
    voice: str
    noise_db: float | None
    noise: str  # its colour, a key of NOISE_EXPONENTS
    pcm: Pcm  # 24 kHz float32


def spoken(text: str, voice: str) -> Pcm:
    """`text` in `voice` ("flite:NAME" or "espeak:NAME"), 24 kHz float32, untrimmed."""
    engine, _, name = voice.partition(":")
    if engine == "flite":
        return speak(text, name)
    if engine == "espeak":
        return _cached_espeak(text, name)
    raise ValueError(f"unknown voice {voice!r}: expected flite:NAME or espeak:NAME")


def with_noise(pcm: Pcm, snr_db: float | None, seed: int, colour: str = "white") -> Pcm:
    """`pcm` with noise `snr_db` below the speech's active level (None: unchanged)."""
    if snr_db is None:
        return pcm
    active = pcm[np.abs(pcm) > ACTIVE_LEVEL]
    level = float(np.mean(active**2)) if active.size else 0.0
    noise = coloured_noise(len(pcm), colour, seed)
    noisy = pcm + noise * np.sqrt(level / 10 ** (snr_db / 10))
    return np.asarray(np.clip(noisy, -1.0, 1.0), dtype=np.float32)


def coloured_noise(length: int, colour: str, seed: int) -> npt.NDArray[np.float64]:
    """`length` samples of noise of unit power whose spectrum has `colour`'s slope."""
    if colour not in NOISE_EXPONENTS:
        raise ValueError(
            f"unknown noise colour {colour!r}: expected one of {list(NOISE_EXPONENTS)}"
        )
    white = np.random.default_rng(seed).standard_normal(length)
    if colour == "white" or length == 0:
        return white
    frequencies = np.maximum(np.fft.rfftfreq(length, 1 / SAMPLE_RATE), _LOWEST_SHAPED_HZ)
    gains = frequencies ** (NOISE_EXPONENTS[colour] / 2)  # amplitude: half the power slope
    shaped = np.fft.irfft(np.fft.rfft(white) * gains, length)
    return np.asarray(shaped / np.sqrt(np.mean(shaped**2)))


def clips(
    voices: tuple[str, ...] = VOICES,
    noise_levels_db: tuple[float | None, ...] = NOISE_LEVELS_DB,
    sentences: tuple[str, ...] = SENTENCES,
    noise: str = "white",
) -> Iterator[Clip]:
    """Every sentence in every voice at every noise level (of `noise`'s colour)."""
    for voice in voices:
        for noise_db in noise_levels_db:
            for index, text in enumerate(sentences):
                pcm = with_noise(spoken(text, voice), noise_db, seed=index, colour=noise)
                yield Clip(text, voice, noise_db, noise, pcm)


def normalise(transcript: str) -> str:
    """Lower case, no punctuation, small numbers in words: "At 10." -> "at ten"."""
    words = _NOT_SPOKEN.sub(" ", transcript.lower()).split()
    spelled = (_NUMBERS[int(w)] if w.isdigit() and int(w) < len(_NUMBERS) else w for w in words)
    return " ".join(spelled)


def _cached_espeak(text: str, voice: str) -> Pcm:
    digest = hashlib.sha256(f"{voice}\n{text}".encode()).hexdigest()[:24]
    cached = CACHE_DIR / f"espeak-{digest}.npy"
    if not cached.exists():
        CACHE_DIR.mkdir(parents=True, exist_ok=True)
        # Written under another name, then renamed: a parallel run never reads half a file.
        partial = cached.with_suffix(f".{os.getpid()}.partial.npy")
        command = [sys.executable, "-m", "tests.recognition_clips", voice, text, str(partial)]
        subprocess.run(command, check=True, capture_output=True)
        partial.replace(cached)
    loaded: Pcm = np.load(cached)
    return loaded


def _speak_with_espeak(voice: str, text: str, path: Path) -> None:
    """Runs in a process of its own: `python -m tests.recognition_clips VOICE TEXT PATH`."""
    audio = Espeak().synthesize(text, EspeakParams(voice, pitch=50, pitch_range=50, rate=175))
    pcm = audio.samples.astype(np.float32) / 32768.0
    np.save(path, np.asarray(soxr.resample(pcm, audio.sample_rate, SAMPLE_RATE), np.float32))


if __name__ == "__main__":
    _speak_with_espeak(sys.argv[1], sys.argv[2], Path(sys.argv[3]))
