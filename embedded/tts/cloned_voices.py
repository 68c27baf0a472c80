"""Turn a measured `VoiceProfile` (Hz, semitones, syllables/s) into espeak settings.

espeak's pitch, range and rate knobs are not in physical units. The tables below are
what `embedded.voice_cloning.analysis` measures on espeak-ng's own output for a spread
of knob settings (pitch and rate at range 50; see tests/unit/test_embedded_tts_cloned_voices.py,
which re-measures them), so a clip analysed with the same code maps back onto the knob
settings that reproduce it.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from embedded.tts.espeak import EspeakParams
from embedded.voice_cloning.profile import VoiceProfile

PITCH_KNOB = (0, 10, 20, 30, 40, 50, 60, 70, 80, 90, 100)
RATE_KNOB_WPM = (80, 100, 130, 160, 175, 200, 250, 300)
# Above 300 wpm espeak clips its vowels instead of speaking faster; we stop there.


@dataclass(frozen=True)
class BaseVoice:
    voice: str
    median_pitch_hz: tuple[float, ...]  # per PITCH_KNOB step, at range 50
    pitch_spread_hz_at_range_50: float  # 10th to 90th percentile, roughly the same at any pitch
    syllables_per_s: tuple[float, ...]  # per RATE_KNOB_WPM step


LOW_VOICE = BaseVoice(
    voice="en-us",
    median_pitch_hz=(67.3, 71.4, 76.6, 83.0, 90.9, 100.0, 109.8, 122.7, 136.5, 152.9, 168.4),
    pitch_spread_hz_at_range_50=28.0,
    syllables_per_s=(3.04, 3.77, 4.51, 5.2, 5.7, 5.88, 6.84, 7.33),
)
HIGH_VOICE = BaseVoice(
    voice="en-us+f2",
    median_pitch_hz=(125.3, 136.0, 146.6, 160.0, 174.3, 191.9, 212.1, 234.5, 260.2, 291.2, 321.0),
    pitch_spread_hz_at_range_50=65.0,
    syllables_per_s=(2.99, 3.5, 4.08, 4.76, 5.11, 5.42, 6.69, 7.42),
)
# Both base voices cover 130-170 Hz; above this the female variant sounds more natural.
_HIGH_VOICE_FROM_HZ = 150.0
# Each range step away from 50 moves the median pitch by about this fraction (measured).
_MEDIAN_SHIFT_PER_RANGE_STEP = 0.00225


def voice_for_profile(profile: VoiceProfile) -> EspeakParams:
    """espeak settings that speak at the profile's pitch, pitch range and rate."""
    base = HIGH_VOICE if profile.pitch_hz >= _HIGH_VOICE_FROM_HZ else LOW_VOICE
    spread_hz = profile.pitch_hz * (2 ** (profile.pitch_range_semitones / 12) - 1)
    pitch_range = _clamp_knob(50 * spread_hz / base.pitch_spread_hz_at_range_50, 0, 100)
    # A wider range also lifts the median; aim the base pitch so the median lands on target.
    median_shift = 1 + _MEDIAN_SHIFT_PER_RANGE_STEP * (pitch_range - 50)
    pitch = _clamp_knob(
        np.interp(
            np.log(profile.pitch_hz / median_shift),
            np.log(base.median_pitch_hz),
            PITCH_KNOB,
        ),
        0,
        100,
    )
    rate = _clamp_knob(
        np.interp(profile.syllables_per_s, base.syllables_per_s, RATE_KNOB_WPM),
        RATE_KNOB_WPM[0],
        RATE_KNOB_WPM[-1],
    )
    return EspeakParams(voice=base.voice, pitch=pitch, pitch_range=pitch_range, rate=rate)


def _clamp_knob(value: float, low: int, high: int) -> int:
    return int(min(max(round(float(value)), low), high))
