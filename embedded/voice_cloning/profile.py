"""The CPU voice "embedding": a speaker's pitch, pitch range and rate in a `Voice` message.

moshi-server's `Voice` message carries `embeddings` (flat floats) and `shape`. Ours keeps
that layout so the backend can store and forward it untouched, and marks it with a tag
and a version so that the TTS can tell it from a real neural embedding, which it cannot
use and replaces by its default voice.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

# Exactly representable in float32, and implausible as the first value of a neural embedding.
PROFILE_TAG = 8_675_309.0
PROFILE_VERSION = 1.0
_LENGTH = 5

# Outside these a measurement is not a human voice; such a message is not ours.
_PITCH_HZ = (40.0, 600.0)
_RANGE_SEMITONES = (0.0, 36.0)
_SYLLABLES_PER_S = (0.0, 15.0)


@dataclass(frozen=True)
class VoiceProfile:
    """How a speaker sounds, in physical units measured from a clip."""

    pitch_hz: float
    pitch_range_semitones: float
    syllables_per_s: float


def profile_to_voice_message(profile: VoiceProfile) -> dict[str, Any]:
    """The msgpack-ready `Voice` map that the voice cloning service answers."""
    embeddings = [
        PROFILE_TAG,
        PROFILE_VERSION,
        profile.pitch_hz,
        profile.pitch_range_semitones,
        profile.syllables_per_s,
    ]
    return {"type": "Voice", "embeddings": embeddings, "shape": [1, _LENGTH]}


def profile_from_voice_message(embeddings: object, shape: object) -> VoiceProfile | None:
    """The profile in a `Voice` message, or None when the message is not one of ours."""
    if shape != [1, _LENGTH] or not isinstance(embeddings, list) or len(embeddings) != _LENGTH:
        return None
    if not all(
        isinstance(value, int | float) and not isinstance(value, bool) for value in embeddings
    ):
        return None
    values = [float(value) for value in embeddings]
    if not all(math.isfinite(value) for value in values):
        return None
    tag, version, pitch, pitch_range, rate = values
    if tag != PROFILE_TAG or version != PROFILE_VERSION:
        return None
    if not (
        _within(pitch, _PITCH_HZ)
        and _within(pitch_range, _RANGE_SEMITONES)
        and _within(rate, _SYLLABLES_PER_S)
    ):
        return None
    return VoiceProfile(pitch_hz=pitch, pitch_range_semitones=pitch_range, syllables_per_s=rate)


def _within(value: float, bounds: tuple[float, float]) -> bool:
    return bounds[0] <= value <= bounds[1]
