"""The shared spoken-clip helper and its word error rate."""

from __future__ import annotations

import pytest

from loadtest import clips
from loadtest.clips import ClipsUnavailableError, flite_cache_path
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
