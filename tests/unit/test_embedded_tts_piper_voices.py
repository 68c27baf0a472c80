"""Voice ids map onto Piper characters deterministically; cloned profiles onto factors."""

from __future__ import annotations

import pytest

from embedded.tts.piper_voices import (
    DEFAULT_PIPER_VOICE,
    PITCH_LIMITS,
    PRESETS,
    TEMPO_LIMITS,
    PiperParams,
    piper_voice_for_id,
    pitch_and_tempo,
)
from embedded.voice_cloning.analysis import VoiceMeasurements
from embedded.voice_cloning.profile import VoiceProfile

OWN_VOICE = VoiceMeasurements(
    pitch_hz=100.0, pitch_range_semitones=4.0, syllables_per_s=5.0, voiced_s=3.0
)


def test_the_same_id_always_gets_the_same_character() -> None:
    for voice_id in ["unmute-prod-website/p329_022.wav", "vctk/p225_023.wav", "x"]:
        assert piper_voice_for_id(voice_id, 1) == piper_voice_for_id(voice_id, 1)


def test_no_id_gets_the_voice_as_it_is() -> None:
    assert piper_voice_for_id(None, 1) == DEFAULT_PIPER_VOICE
    assert piper_voice_for_id("", 4) == DEFAULT_PIPER_VOICE
    assert pitch_and_tempo(DEFAULT_PIPER_VOICE, None) == (1.0, 1.0)


def test_one_speaker_voices_vary_pitch_and_tempo_within_the_presets() -> None:
    characters = [piper_voice_for_id(f"speaker-{i}.wav", 1) for i in range(60)]
    assert len(set(characters)) > 50
    assert {c.speaker_id for c in characters} == {0}
    pitches = [c.pitch for c in characters]
    lowest, highest = min(p for p, _ in PRESETS), max(p for p, _ in PRESETS)
    assert lowest * 0.97 <= min(pitches) and max(pitches) <= highest * 1.03
    assert max(pitches) / min(pitches) > 1.4  # characters from deep to high


def test_many_speaker_voices_pick_a_speaker() -> None:
    characters = [piper_voice_for_id(f"speaker-{i}.wav", 10) for i in range(60)]
    assert {c.speaker_id for c in characters} == set(range(10))
    assert all((c.pitch, c.tempo) == (1.0, 1.0) for c in characters)


def test_a_cloned_profile_is_matched_against_the_voices_own() -> None:
    params = PiperParams(profile=VoiceProfile(120.0, 5.0, 5.5))
    pitch, tempo = pitch_and_tempo(params, OWN_VOICE)
    assert pitch == pytest.approx(1.2)
    assert tempo == pytest.approx(1.1)


def test_a_profile_far_from_the_voice_is_followed_only_so_far() -> None:
    high_fast = PiperParams(profile=VoiceProfile(400.0, 5.0, 14.0))
    low_slow = PiperParams(profile=VoiceProfile(45.0, 5.0, 1.0))
    assert pitch_and_tempo(high_fast, OWN_VOICE) == (PITCH_LIMITS[1], TEMPO_LIMITS[1])
    assert pitch_and_tempo(low_slow, OWN_VOICE) == (PITCH_LIMITS[0], TEMPO_LIMITS[0])


def test_a_profile_without_the_voices_measurements_speaks_as_is() -> None:
    params = PiperParams(pitch=1.1, profile=VoiceProfile(200.0, 5.0, 5.0))
    assert pitch_and_tempo(params, None) == (1.1, 1.0)
