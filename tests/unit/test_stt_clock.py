"""The STT clock's rules, one test each, on scripted timelines (times are plain seconds)."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

from backend.speech_protocol.constants import FRAME_SAMPLES
from backend.stt_clock import GiveUp, Reopen, SttClock

Pcm = np.ndarray[Any, np.dtype[np.float32]]


def pcm(samples: int, value: float = 0.0) -> Pcm:
    return np.full(samples, value, dtype=np.float32)


def open_clock(at: float = 0.0, **options: Any) -> SttClock:
    clock = SttClock(**options)
    clock.stream_opened(asked_at=at, now=at)
    return clock


def test_audio_goes_out_in_whole_frames_and_the_rest_waits() -> None:
    clock = open_clock()
    assert clock.take_audio(pcm(1000, 1.0), now=0.0) is None
    out = clock.take_audio(pcm(3000, 2.0), now=0.0)  # 4000 samples: two frames, 160 waiting
    assert out is not None and out.size == 2 * FRAME_SAMPLES
    assert out[0] == 1.0 and out[-1] == 2.0
    out = clock.take_audio(pcm(FRAME_SAMPLES - 160, 3.0), now=0.0)
    assert out is not None and out.size == FRAME_SAMPLES and out[0] == 2.0


def test_audio_between_streams_is_lost_but_counted_and_wakes_the_link() -> None:
    clock = open_clock()
    clock.take_audio(pcm(FRAME_SAMPLES + 480), now=0.0)
    clock.stream_ended()
    assert clock.take_audio(pcm(FRAME_SAMPLES), now=0.0) is None
    assert clock.audio_waiting
    assert clock.samples_sent == 2 * FRAME_SAMPLES + 480
    clock.stream_opened(asked_at=1.0, now=1.1)
    assert not clock.audio_waiting
    # The 480 samples short of a frame were lost with the old stream: a frame needs 1920 new.
    assert clock.take_audio(pcm(480), now=0.0) is None


def test_a_new_streams_steps_are_renumbered_from_where_it_began() -> None:
    clock = open_clock()
    for _ in range(5):
        clock.take_audio(pcm(FRAME_SAMPLES), now=0.0)
    assert clock.conversation_step(4) == 4
    clock.stream_failed()
    clock.take_audio(pcm(3 * FRAME_SAMPLES), now=0.0)  # the gap: lost, yet on the clock
    clock.stream_opened(asked_at=2.0, now=2.2)
    assert clock.conversation_step(0) == 8


def test_a_stream_owed_a_frames_answer_for_the_stall_time_is_stalled() -> None:
    clock = open_clock(at=10.0, stall_after_s=1.0)
    assert not clock.stalled(20.0), "no audio sent: nothing is owed"
    clock.take_audio(pcm(FRAME_SAMPLES // 2), now=20.0)
    assert not clock.stalled(22.0), "part of a frame was not sent: nothing is owed"
    clock.take_audio(pcm(FRAME_SAMPLES // 2), now=20.1)
    assert not clock.stalled(21.1)
    assert clock.stalled(21.2)
    clock.answered(21.3)
    assert not clock.stalled(30.0), "the answer covered all the audio sent"
    clock.take_audio(pcm(FRAME_SAMPLES), now=30.0)  # after a pause in the browser's audio
    assert not clock.stalled(31.0), "the wait starts with the audio, not the last answer"
    clock.take_audio(pcm(FRAME_SAMPLES), now=30.1)
    assert clock.stalled(31.1), "more audio does not restart the wait for the first"


def test_the_first_answer_of_a_stream_says_how_long_it_took_to_open() -> None:
    clock = SttClock()
    clock.stream_opened(asked_at=3.0, now=3.2)
    first = clock.answered(3.5)
    assert first.first_of_stream and first.opened_s == pytest.approx(0.5)
    assert not clock.answered(3.6).first_of_stream


def test_streams_breaking_before_answering_back_off_then_give_up() -> None:
    clock = open_clock(max_silent_failures=3, silent_failure_backoff_s=0.2)
    assert clock.stream_failed() == Reopen(delay_s=0.2)
    clock.stream_opened(asked_at=1.0, now=1.0)
    assert clock.stream_failed() == Reopen(delay_s=0.4)
    clock.stream_opened(asked_at=2.0, now=2.0)
    assert isinstance(clock.stream_failed(), GiveUp)


def test_a_stream_that_answered_resets_the_count_and_reopens_at_once() -> None:
    clock = open_clock(max_silent_failures=2)
    clock.stream_failed()
    clock.stream_opened(asked_at=1.0, now=1.0)
    clock.answered(1.5)
    assert clock.stream_failed() == Reopen(delay_s=0.0)
    clock.stream_opened(asked_at=2.0, now=2.0)
    assert clock.stream_failed() == Reopen(delay_s=0.2)


def test_nonsense_settings_are_refused() -> None:
    with pytest.raises(ValueError):
        SttClock(stall_after_s=0)
