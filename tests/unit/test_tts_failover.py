"""The TTS failover rules, one test each, on scripted timelines (times are plain seconds)."""

from __future__ import annotations

import pytest

from backend.speech_protocol.constants import SAMPLE_RATE
from backend.tts_failover import Outgoing, TimedWord, TtsFailover


def reply(*words: str, ended: bool = False) -> TtsFailover:
    failover = TtsFailover(stall_after_s=2.0, max_streams=3)
    for word in words:
        failover.speak(word, now=0.0)
    if ended:
        failover.end()
    return failover


def test_words_are_sent_as_they_come_then_eos_once() -> None:
    failover = reply("one")
    failover.stream_opened(now=0.0)
    assert failover.outgoing(now=0.0) == Outgoing(["one"], eos=False)
    assert failover.outgoing(now=0.0) == Outgoing([], eos=False)
    failover.speak("two", now=0.1)
    failover.end()
    assert failover.outgoing(now=0.0) == Outgoing(["two"], eos=True)
    assert failover.all_sent
    assert failover.outgoing(now=0.0) == Outgoing([], eos=False)


def test_the_next_stream_is_sent_exactly_the_words_without_a_timing() -> None:
    failover = reply("one", "two", "three", ended=True)
    failover.stream_opened(now=0.0)
    failover.outgoing(now=0.0)
    failover.word_timing("one", 0.0, 0.3, now=0.1)
    assert failover.words_left == 2
    failover.stream_opened(now=1.0)  # the first node died
    assert failover.outgoing(now=0.0) == Outgoing(["two", "three"], eos=True)


def test_the_next_streams_audio_continues_where_the_replys_audio_stopped() -> None:
    failover = reply("one", "two", ended=True)
    failover.stream_opened(now=0.0)
    failover.audio(SAMPLE_RATE // 2, now=0.1)  # half a second of audio
    failover.word_timing("one", 0.0, 0.4, now=0.1)
    failover.stream_opened(now=1.0)
    assert failover.word_timing("two", 0.1, 0.3, now=1.1) == TimedWord("two", 0.6, 0.8)


def test_a_stream_is_stalled_only_while_it_owes_an_answer() -> None:
    failover = reply()
    failover.stream_opened(now=0.0)
    failover.outgoing(now=0.0)
    assert not failover.stalled(now=10.0), "no word sent: the node owes nothing"
    failover.speak("one", now=10.0)
    failover.outgoing(now=10.0)
    assert not failover.stalled(now=12.0), "idle until now: the wait starts with the word"
    assert failover.stalled(now=12.1)
    failover.word_timing("one", 0.0, 0.3, now=12.05)
    assert not failover.stalled(now=20.0), "all words spoken, no Eos yet: nothing owed"
    failover.end()
    failover.outgoing(now=20.0)
    assert not failover.stalled(now=22.0)
    assert failover.stalled(now=22.1), "Eos is owed the end of the audio"


def test_a_normal_close_before_eos_is_early_and_after_it_is_not() -> None:
    failover = reply("one")
    failover.stream_opened(now=0.0)
    failover.outgoing(now=0.0)
    assert failover.ended_early()
    failover.end()
    failover.outgoing(now=0.0)
    assert not failover.ended_early()


def test_a_reply_takes_at_most_max_streams() -> None:
    failover = reply("one")
    for at in range(3):
        assert failover.may_open_stream()
        failover.stream_opened(now=float(at))
    assert not failover.may_open_stream()
    with pytest.raises(RuntimeError):
        failover.stream_opened(now=3.0)


def test_first_audio_is_timed_from_the_first_word_once() -> None:
    failover = TtsFailover()
    failover.speak("one", now=5.0)
    failover.stream_opened(now=5.0)
    assert failover.first_audio_after_s is None
    failover.audio(1920, now=5.4)
    failover.audio(1920, now=5.5)
    assert failover.first_audio_after_s == pytest.approx(0.4)
