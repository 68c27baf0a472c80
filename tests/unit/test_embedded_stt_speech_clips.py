"""The shared spoken-clip helper, its word error rate, and the noise the clip set adds."""

from __future__ import annotations

import numpy as np
import pytest

from loadtest import clips
from loadtest.clips import ClipsUnavailableError, flite_cache_path
from tests.recognition_clips import ACTIVE_LEVEL, coloured_noise, with_noise
from tests.speech_clips import SAMPLE_RATE, speak, word_error_rate


def test_a_clip_is_24_khz_float32_speech_and_cached() -> None:
    clip = speak("hello how are you today")
    assert clip.dtype.name == "float32"
    assert 1.0 < len(clip) / SAMPLE_RATE < 3.0
    assert 0.05 < abs(clip).max() <= 1.0
    assert (speak("hello how are you today") == clip).all()
    assert flite_cache_path("hello how are you today", "kal16").exists()


def test_a_missing_flite_names_the_package_to_install(
    monkeypatch: pytest.MonkeyPatch, tmp_path_factory: pytest.TempPathFactory
) -> None:
    monkeypatch.setattr(clips, "CACHE_DIR", tmp_path_factory.mktemp("clips"))
    monkeypatch.setattr("loadtest.clips.shutil.which", lambda _: None)
    with pytest.raises(ClipsUnavailableError, match="apt-get install flite"):
        speak("a sentence nobody has cached")


@pytest.mark.parametrize(
    ("reference", "hypothesis", "rate"),
    [
        ("a b c d", "a b c d", 0.0),
        ("a b c d", "a x c d", 0.25),
        ("a b c d", "a c d", 0.25),
        ("a b c d", "a b c d e", 0.25),
        ("a b", "", 1.0),
    ],
)
def test_word_error_rate(reference: str, hypothesis: str, rate: float) -> None:
    assert word_error_rate([reference], [hypothesis]) == rate


@pytest.mark.parametrize(
    ("colour", "decade_drop_db"), [("white", 0.0), ("pink", 10.0), ("brown", 20.0)]
)
def test_noise_colours_have_unit_power_and_their_spectral_slope(
    colour: str, decade_drop_db: float
) -> None:
    noise = coloured_noise(10 * SAMPLE_RATE, colour, seed=1)
    power = np.abs(np.fft.rfft(noise)) ** 2
    frequencies = np.fft.rfftfreq(len(noise), 1 / SAMPLE_RATE)

    def band_db(low_hz: float) -> float:
        return float(
            10 * np.log10(power[(frequencies >= low_hz) & (frequencies < 2 * low_hz)].mean())
        )

    assert np.mean(noise**2) == pytest.approx(1.0, abs=0.01)
    assert band_db(100) - band_db(1000) == pytest.approx(decade_drop_db, abs=1.0)


def test_noise_at_an_snr_is_that_far_below_the_speech_level() -> None:
    speech = speak("hello how are you today")
    noisy = with_noise(speech, 10.0, seed=0, colour="pink")
    active = speech[np.abs(speech) > ACTIVE_LEVEL]
    snr_db = 10 * np.log10(np.mean(active**2) / np.mean((noisy - speech) ** 2))
    assert snr_db == pytest.approx(10.0, abs=0.3)  # clipping at full scale may take a little
    assert (with_noise(speech, None, seed=0) == speech).all()


def test_an_unknown_noise_colour_is_refused_by_name() -> None:
    with pytest.raises(ValueError, match="unknown noise colour 'purple'"):
        coloured_noise(100, "purple", seed=0)
