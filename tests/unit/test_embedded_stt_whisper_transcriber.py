"""Whisper tiny.en (the packaged model) on windows of spoken audio, and model folder checks."""

from __future__ import annotations

from itertools import pairwise
from pathlib import Path

import numpy as np
import numpy.typing as npt
import pytest
import soxr

from embedded.model_packages import WHISPER_TINY_EN
from embedded.stt.whisper_transcriber import (
    InvalidWhisperModel,
    WhisperSettings,
    WhisperTranscriber,
    check_model_folder,
    window_seconds,
)
from tests.recognition_clips import normalise
from tests.speech_clips import SAMPLE_RATE, silence, speak


@pytest.fixture(scope="module")
def whisper() -> WhisperTranscriber:
    return WhisperTranscriber(WhisperSettings(WHISPER_TINY_EN.path()))


def at_16k(pcm: npt.NDArray[np.float32]) -> npt.NDArray[np.float32]:
    return np.asarray(soxr.resample(pcm, SAMPLE_RATE, 16_000), dtype=np.float32)


def test_a_spoken_sentence_is_transcribed_with_word_times(whisper: WhisperTranscriber) -> None:
    lead_s = 0.5
    speech = speak("please call my mother when you get home")
    audio = at_16k(np.concatenate([silence(lead_s), speech, silence(0.3)]))
    words = whisper.transcribe(audio)
    assert normalise(" ".join(word.text for word in words)) == (
        "please call my mother when you get home"
    )
    assert words[0].start_s >= lead_s - 0.2
    assert words[-1].stop_s <= len(audio) / 16_000
    assert all(word.start_s < word.stop_s for word in words)
    assert all(a.stop_s <= b.start_s + 1e-6 for a, b in pairwise(words))


def test_audio_is_padded_to_a_short_window_not_to_30_seconds(
    whisper: WhisperTranscriber,
) -> None:
    audio = at_16k(speak("what time is it right now"))
    padded_before = whisper.stats.window_s
    whisper.transcribe(audio)
    assert whisper.stats.window_s - padded_before == window_seconds(len(audio) / 16_000) == 4


def test_a_transcription_that_may_be_final_gets_a_longer_window(
    whisper: WhisperTranscriber,
) -> None:
    audio = at_16k(speak("what time is it right now"))
    padded_before = whisper.stats.window_s
    words = whisper.transcribe(audio, final=True)
    assert whisper.stats.window_s - padded_before == 10
    assert normalise(" ".join(word.text for word in words)) == "what time is it right now"


def test_silence_and_noise_are_no_words(whisper: WhisperTranscriber) -> None:
    assert whisper.transcribe(np.zeros(32_000, np.float32)) == []
    noise = np.random.default_rng(3).standard_normal(32_000).astype(np.float32) * 0.01
    assert whisper.transcribe(noise) == []


def test_context_is_accepted(whisper: WhisperTranscriber) -> None:
    audio = at_16k(np.concatenate([speak("the children are playing in the garden"), silence(0.3)]))
    words = whisper.transcribe(audio, context="It is a sunny day.")
    assert normalise(" ".join(word.text for word in words)) == (
        "the children are playing in the garden"
    )


def test_windows_leave_a_margin_of_silence() -> None:
    assert window_seconds(1.0) == 4
    assert window_seconds(2.5) == 6
    assert window_seconds(9.0) == 15
    assert window_seconds(29.0) == 30
    assert window_seconds(1.0, sizes=(30,)) == 30


def test_a_missing_folder_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(InvalidWhisperModel, match="is not a folder"):
        check_model_folder(tmp_path / "nowhere")


def test_a_folder_without_a_model_says_what_is_missing(tmp_path: Path) -> None:
    (tmp_path / "config.json").write_text("{}")
    with pytest.raises(InvalidWhisperModel, match=r"model\.bin, tokenizer\.json missing"):
        check_model_folder(tmp_path)


def test_the_packaged_model_is_a_whisper_model() -> None:
    check_model_folder(WHISPER_TINY_EN.path())
