"""Tidying the edges of Whisper's word alignment, on scripted alignments."""

from __future__ import annotations

import pytest

from embedded.stt.word_commit import TimedWord
from embedded.stt.word_timing import tidy_words


def test_words_inside_a_sentence_keep_their_times() -> None:
    words = [TimedWord("a", 0.5, 0.8), TimedWord("b", 0.8, 1.1), TimedWord("c", 1.1, 1.4)]
    assert tidy_words(words, audio_s=2.0, speech_start_s=0.5) == words


def test_the_first_word_does_not_take_in_the_silence_before_it() -> None:
    words = [TimedWord("Please", 0.0, 1.2), TimedWord("call", 1.2, 1.5), TimedWord("me", 1.5, 1.8)]
    first = tidy_words(words, audio_s=2.5)[0]
    assert first.start_s == pytest.approx(1.2 - 2 * 0.3)  # two median words


def test_the_first_word_starts_no_sooner_than_whisper_s_first_timestamp() -> None:
    words = [TimedWord("Hi", 0.0, 0.9), TimedWord("there", 0.9, 1.3)]
    assert tidy_words(words, audio_s=2.0, speech_start_s=0.6)[0].start_s == 0.6


def test_the_last_word_does_not_take_in_the_silence_after_it() -> None:
    words = [TimedWord("a", 0.0, 0.3), TimedWord("b", 0.3, 0.6), TimedWord("c", 0.6, 1.9)]
    assert tidy_words(words, audio_s=2.0)[-1].stop_s == pytest.approx(0.6 + 2 * 0.3)


def test_words_at_the_end_of_the_audio_were_not_heard() -> None:
    words = [
        TimedWord("dinner?", 1.9, 2.1),
        TimedWord("What", 2.34, 2.34),  # a repeat the decoder wrote past what it heard
        TimedWord("would", 2.34, 2.4),
    ]
    assert [w.text for w in tidy_words(words, audio_s=2.38)] == ["dinner?"]


def test_no_word_ends_after_the_audio() -> None:
    words = [TimedWord("a", 0.0, 0.3), TimedWord("b", 0.3, 2.6)]
    assert tidy_words(words, audio_s=1.0)[-1].stop_s <= 1.0


def test_nothing_heard() -> None:
    assert tidy_words([TimedWord("you", 1.95, 2.0)], audio_s=2.0) == []
    assert tidy_words([], audio_s=2.0) == []
