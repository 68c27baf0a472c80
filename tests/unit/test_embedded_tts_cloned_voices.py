"""A measured voice profile turns into espeak settings that sound like it."""

from __future__ import annotations

import numpy as np
import pytest

from embedded.tts import cloned_voices
from embedded.tts.cloned_voices import voice_for_profile
from embedded.tts.engine import SAMPLE_RATE, shared_engine
from embedded.tts.espeak import EspeakParams
from embedded.voice_cloning.analysis import VoiceMeasurements, measure_voice
from embedded.voice_cloning.profile import VoiceProfile

SPEECH = (
    "The quick brown fox jumps over the lazy dog. I would like a cup of tea, please, "
    "and some biscuits. Yesterday we walked along the river and talked about the weather."
)


async def measure_espeak(voice: EspeakParams) -> VoiceMeasurements:
    utterance = await shared_engine().speak(SPEECH.split(), voice, False)
    return measure_voice(utterance.audio, SAMPLE_RATE)


@pytest.mark.parametrize("base", [cloned_voices.LOW_VOICE, cloned_voices.HIGH_VOICE])
async def test_measured_tables_still_match_espeak(base: cloned_voices.BaseVoice) -> None:
    for knob_index in (0, 5, 10):
        knob = cloned_voices.PITCH_KNOB[knob_index]
        measured = await measure_espeak(EspeakParams(base.voice, knob, 50, 175))
        assert measured.pitch_hz == pytest.approx(base.median_pitch_hz[knob_index], rel=0.05)
    for rate_index in (1, 4, 7):
        rate = cloned_voices.RATE_KNOB_WPM[rate_index]
        measured = await measure_espeak(EspeakParams(base.voice, 50, 50, rate))
        assert measured.syllables_per_s == pytest.approx(base.syllables_per_s[rate_index], rel=0.1)


@pytest.mark.parametrize("pitch_hz", [85.0, 130.0, 175.0, 240.0])
async def test_the_settings_speak_at_the_profile_pitch(pitch_hz: float) -> None:
    voice = voice_for_profile(VoiceProfile(pitch_hz, 4.0, 5.0))
    measured = await measure_espeak(voice)
    assert measured.pitch_hz == pytest.approx(pitch_hz, rel=0.1)


async def test_a_wider_range_and_a_faster_rate_carry_over() -> None:
    narrow = voice_for_profile(VoiceProfile(120.0, 2.0, 4.0))
    wide = voice_for_profile(VoiceProfile(120.0, 8.0, 6.5))
    assert wide.pitch_range > narrow.pitch_range
    assert wide.rate > narrow.rate
    narrow_measured, wide_measured = await measure_espeak(narrow), await measure_espeak(wide)
    assert wide_measured.pitch_range_semitones > narrow_measured.pitch_range_semitones + 2
    assert wide_measured.syllables_per_s > narrow_measured.syllables_per_s + 1


def test_low_voices_use_the_male_base_and_high_ones_the_female() -> None:
    assert voice_for_profile(VoiceProfile(100.0, 4.0, 5.0)).voice == "en-us"
    assert voice_for_profile(VoiceProfile(220.0, 4.0, 5.0)).voice == "en-us+f2"


def test_extreme_profiles_are_clamped_to_espeak_ranges() -> None:
    low = voice_for_profile(VoiceProfile(40.0, 0.0, 0.0))
    high = voice_for_profile(VoiceProfile(600.0, 36.0, 15.0))
    assert (low.pitch, low.pitch_range, low.rate) == (0, 0, 80)
    assert (high.pitch, high.pitch_range, high.rate) == (100, 100, 300)
    assert np.isfinite([low.pitch, high.pitch]).all()
