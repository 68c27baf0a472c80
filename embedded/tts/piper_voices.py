"""Characters for a Piper voice: each voice id, the same every time, gets its own sound.

A voice with several speakers gives each id one of them. A voice with one speaker (like
the packaged "joe") varies pitch and tempo instead. The engine changes the pitch by
speaking slower and playing the audio faster (or the reverse), which also moves the
formants the way a smaller or larger speaker's would: a new person rather than the same
one singing higher. A cloned voice asks for the pitch and rate measured from its clip.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

from embedded.voice_cloning.analysis import VoiceMeasurements
from embedded.voice_cloning.profile import VoiceProfile


@dataclass(frozen=True)
class PiperParams:
    """How the Piper voice speaks for one character."""

    speaker_id: int = 0
    pitch: float = 1.0  # frequency factor: 1.12 is two semitones up
    tempo: float = 1.0  # speaking-rate factor: 1.1 is 10 % faster
    profile: VoiceProfile | None = None  # a cloned voice: its pitch and rate instead


DEFAULT_PIPER_VOICE = PiperParams()

# (pitch, tempo): up to four semitones either way, where a resampled voice still sounds
# like a person; tempo a little against pitch, as deep voices tend to speak slower.
PRESETS: tuple[tuple[float, float], ...] = (
    (1.0, 1.0),
    (0.89, 0.95),
    (1.12, 1.04),
    (0.94, 1.07),
    (1.19, 0.97),
    (1.06, 0.92),
    (0.84, 1.02),
    (1.26, 1.0),
)
# Enough to tell two ids apart that share a preset, small enough to keep its character.
_PITCH_JITTER = 0.02
_TEMPO_JITTER = 0.03
# A cloned voice far from the model's own is followed only this far: beyond it the
# resampled voice sounds like a cartoon, and the model slurs or drags.
PITCH_LIMITS = (0.75, 1.5)
TEMPO_LIMITS = (0.7, 1.4)


def piper_voice_for_id(voice_id: str | None, num_speakers: int) -> PiperParams:
    """The Piper settings for a voice id; no id means the voice as it is."""
    if not voice_id:
        return DEFAULT_PIPER_VOICE
    digest = hashlib.sha256(voice_id.encode()).digest()
    if num_speakers > 1:
        return PiperParams(speaker_id=int.from_bytes(digest[:4], "big") % num_speakers)
    pitch, tempo = PRESETS[digest[0] % len(PRESETS)]
    return PiperParams(
        pitch=round(pitch * (1 + _jitter(digest[1], _PITCH_JITTER)), 4),
        tempo=round(tempo * (1 + _jitter(digest[2], _TEMPO_JITTER)), 4),
    )


def pitch_and_tempo(params: PiperParams, own: VoiceMeasurements | None) -> tuple[float, float]:
    """The factors to speak `params` with; `own` is the voice measured at its defaults
    (needed for a cloned profile only)."""
    if params.profile is None or own is None or own.pitch_hz <= 0 or own.syllables_per_s <= 0:
        return params.pitch, params.tempo
    pitch = _clamp(params.profile.pitch_hz / own.pitch_hz, PITCH_LIMITS)
    tempo = _clamp(params.profile.syllables_per_s / own.syllables_per_s, TEMPO_LIMITS)
    return pitch, tempo


def _jitter(byte: int, spread: float) -> float:
    """A value in [-spread, spread] taken from one hash byte."""
    return (byte / 255 * 2 - 1) * spread


def _clamp(value: float, limits: tuple[float, float]) -> float:
    return min(max(value, limits[0]), limits[1])
