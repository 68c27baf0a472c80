"""Pitch, pitch range and speaking rate measured from synthetic voices with known values."""

from __future__ import annotations

import numpy as np
import numpy.typing as npt
import pytest

from embedded.voice_cloning.analysis import measure_voice, pitch_track, to_analysis_rate

RATE = 24_000


def voice(
    pitch_hz: float | npt.NDArray[np.float64],
    seconds: float,
    syllables_per_s: float = 0.0,
    rate: int = RATE,
) -> npt.NDArray[np.float32]:
    """A buzz with ten harmonics (like vocal folds), optionally pulsed into syllables."""
    t = np.arange(int(seconds * rate)) / rate
    f0 = np.broadcast_to(pitch_hz, t.shape)
    phase = 2 * np.pi * np.cumsum(f0) / rate
    buzz = np.sum([np.sin(k * phase) / k for k in range(1, 11)], axis=0)
    if syllables_per_s:
        # Each syllable: a loud vowel followed by a near-silent gap.
        envelope = np.clip(np.sin(np.pi * syllables_per_s * t) ** 2, 0.02, 1.0)
        buzz = buzz * envelope
    result: npt.NDArray[np.float32] = (0.2 * buzz).astype(np.float32)
    return result


@pytest.mark.parametrize("pitch_hz", [70.0, 110.0, 180.0, 260.0, 380.0])
def test_a_steady_voice_gives_its_pitch(pitch_hz: float) -> None:
    measured = measure_voice(voice(pitch_hz, 2.0), RATE)
    assert measured.pitch_hz == pytest.approx(pitch_hz, rel=0.02)
    assert measured.pitch_range_semitones < 0.5
    assert measured.voiced_s > 1.5


def test_a_gliding_voice_gives_its_range() -> None:
    # One octave up and down: the 10th-90th percentile spread is most of an octave.
    t = np.arange(4 * RATE) / RATE
    glide = 100.0 * 2 ** (0.5 - 0.5 * np.cos(2 * np.pi * t / 4))
    measured = measure_voice(voice(glide, 4.0), RATE)
    assert 8.0 < measured.pitch_range_semitones < 12.0
    assert measured.pitch_hz == pytest.approx(141.0, rel=0.1)


@pytest.mark.parametrize("syllables_per_s", [3.0, 5.0, 7.0])
def test_pulsed_voicing_gives_the_syllable_rate(syllables_per_s: float) -> None:
    measured = measure_voice(voice(150.0, 4.0, syllables_per_s), RATE)
    # Rate per second of speech; the quiet gaps between syllables shorten that time.
    assert measured.syllables_per_s > syllables_per_s * 0.9
    assert measured.syllables_per_s < syllables_per_s * 2.0


def test_faster_speech_measures_faster() -> None:
    slow = measure_voice(voice(150.0, 4.0, 3.0), RATE).syllables_per_s
    fast = measure_voice(voice(150.0, 4.0, 6.0), RATE).syllables_per_s
    assert fast > slow * 1.6


def test_noise_and_silence_are_unvoiced() -> None:
    noise = np.random.default_rng(0).normal(0, 0.2, 2 * RATE).astype(np.float32)
    assert measure_voice(noise, RATE).voiced_s < 0.2
    assert measure_voice(np.zeros(2 * RATE, np.float32), RATE).voiced_s == 0.0


def test_the_sample_rate_does_not_change_the_pitch() -> None:
    for rate in (8_000, 16_000, 44_100, 48_000):
        measured = measure_voice(voice(200.0, 1.5, rate=rate), rate)
        assert measured.pitch_hz == pytest.approx(200.0, rel=0.02)


def test_pitch_track_marks_unvoiced_frames_with_zero() -> None:
    audio = np.concatenate([voice(150.0, 1.0), np.zeros(RATE, np.float32)])
    track = pitch_track(to_analysis_rate(audio, RATE))
    half = len(track) // 2
    assert np.mean(track[: half - 5] > 0) > 0.9
    assert np.all(track[half + 5 :] == 0)
