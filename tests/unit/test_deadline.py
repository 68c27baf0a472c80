"""Deadlines, and the reply's rule for naming the part that kept the user waiting."""

from __future__ import annotations

import pytest

from backend.deadline import Deadline, FirstAudioWatch, Late


def test_a_deadline_counts_down_and_passes() -> None:
    deadline = Deadline.after(2.0, now=10.0)
    assert deadline.remaining_s(11.5) == pytest.approx(0.5)
    assert not deadline.passed(11.9)
    assert deadline.passed(12.0)
    assert deadline.remaining_s(13.0) == 0.0
    assert deadline.sooner(Deadline(11.0)) == Deadline(11.0)
    assert deadline.sooner(None) is deadline
    with pytest.raises(ValueError):
        Deadline.after(0.0, now=1.0)


def test_no_word_by_the_deadline_blames_the_llm_once() -> None:
    watch = FirstAudioWatch(Deadline(10.0))
    assert watch.next_check_at() == 10.0
    assert watch.check(9.9) is None
    assert watch.check(10.0) is Late.LLM
    assert watch.check(11.0) is None
    assert watch.next_check_at() is None


def test_words_but_no_audio_by_the_deadline_blames_the_tts() -> None:
    watch = FirstAudioWatch(Deadline(10.0))
    watch.llm_answered()
    assert watch.check(10.0) is Late.TTS


def test_audio_in_time_meets_the_deadline() -> None:
    watch = FirstAudioWatch(Deadline(10.0))
    watch.llm_answered()
    watch.audio_heard()
    assert watch.check(20.0) is None
    assert watch.next_check_at() is None


def test_a_tts_failure_already_reported_is_not_reported_again() -> None:
    watch = FirstAudioWatch(Deadline(10.0))
    watch.llm_answered()
    watch.tts_gave_up()
    assert watch.check(20.0) is None
