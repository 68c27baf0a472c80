"""A stall watcher that wakes only at `stall_check_at` sees every stall a watcher checking
all the time would, and no later: scripted timelines of audio (or words) and answers."""

from __future__ import annotations

import random
from collections.abc import Callable
from typing import Any

import numpy as np
import pytest

from backend.speech_protocol.constants import FRAME_SAMPLES
from backend.stt_clock import SttClock
from backend.tts_failover import TtsFailover

STEP_S = 0.01  # the timelines' resolution; events and checks fall on its multiples
STALL_AFTER_S = 0.5


def first_stall_polling(events: dict[int, Callable[[float], None]], stalled: Any) -> int | None:
    """The first step at which `stalled` holds, checked at every step (events first)."""
    for step in range(max(events) + 200):
        if step in events:
            events[step](step * STEP_S)
        if stalled(step * STEP_S):
            return step
    return None


def first_stall_by_deadline(
    events: dict[int, Callable[[float], None]], stalled: Any, check_at: Any
) -> tuple[int | None, int]:
    """The same, checked only at the steps `check_at` names; also how many checks ran."""
    next_check, checks = 0, 0
    for step in range(max(events) + 200):
        if step in events:
            events[step](step * STEP_S)
        if step >= next_check:
            checks += 1
            now = step * STEP_S
            if stalled(now):
                return step, checks
            next_check = max(step + 1, int(np.ceil(round(check_at(now) / STEP_S, 6))))
    return None, checks


def stt_timeline(seed: int) -> tuple[SttClock, dict[int, Callable[[float], None]]]:
    """Frames every 8 steps, answered after a few steps, with gaps in both."""
    rng = random.Random(seed)
    clock = SttClock(stall_after_s=STALL_AFTER_S)
    clock.stream_opened(asked_at=0.0, now=0.0)
    events: dict[int, Callable[[float], None]] = {}
    frame = np.zeros(FRAME_SAMPLES, np.float32)
    step = 1

    def send(now: float) -> None:
        clock.take_audio(frame, now)

    def answer(now: float) -> None:
        clock.answered(now)

    for _ in range(60):
        step += rng.choice([8, 8, 8, 30, 60])  # now and then the browser's audio pauses
        events[step] = send
        if rng.random() < 0.85:  # now and then the answer never comes
            events[step + rng.randint(1, 70)] = answer
    return clock, events


def tts_timeline(seed: int) -> tuple[TtsFailover, dict[int, Callable[[float], None]]]:
    """Words sent now and then, their timings back after a while, or never."""
    rng = random.Random(seed)
    failover = TtsFailover(stall_after_s=STALL_AFTER_S)
    failover.stream_opened(now=0.0)
    events: dict[int, Callable[[float], None]] = {}
    step = 1

    def send(word: str) -> Callable[[float], None]:
        def at(now: float) -> None:
            failover.speak(word, now)
            failover.outgoing(now)

        return at

    def audio(now: float) -> None:
        failover.audio(480, now)

    def timing(now: float) -> None:
        failover.word_timing("w", 0.0, 0.1, now)

    for index in range(40):
        step += rng.choice([3, 10, 40, 80])
        events[step] = send(f"w{index}")
        if rng.random() < 0.8:
            events[step + rng.randint(1, 60)] = audio
            events[step + rng.randint(1, 60) + 1] = timing
    return failover, events


@pytest.mark.parametrize("seed", range(40))
def test_the_stt_clocks_check_times_find_each_stall_when_polling_would(seed: int) -> None:
    polled, events = stt_timeline(seed)
    expected = first_stall_polling(events, polled.stalled)
    watched, events = stt_timeline(seed)
    found, checks = first_stall_by_deadline(events, watched.stalled, watched.stall_check_at)
    assert found == expected
    # Never more checks than polling every stall_after_s / 4 would make.
    polls = (found if found is not None else max(events) + 200) * STEP_S / (STALL_AFTER_S / 4)
    assert checks <= polls + 1


@pytest.mark.parametrize("seed", range(40))
def test_the_tts_failovers_check_times_find_each_stall_when_polling_would(seed: int) -> None:
    polled, events = tts_timeline(seed)
    expected = first_stall_polling(events, polled.stalled)
    watched, events = tts_timeline(seed)
    found, _ = first_stall_by_deadline(events, watched.stalled, watched.stall_check_at)
    assert found == expected


def test_with_nothing_owed_the_next_check_is_a_whole_stall_time_away() -> None:
    clock = SttClock(stall_after_s=1.0)
    clock.stream_opened(asked_at=0.0, now=0.0)
    assert clock.stall_check_at(5.0) == 6.0
    clock.take_audio(np.zeros(FRAME_SAMPLES, np.float32), now=5.5)
    assert clock.stall_check_at(5.6) == 6.5, "owed since 5.5: due a second later"
    clock.answered(5.7)
    assert clock.stall_check_at(5.8) == pytest.approx(6.8)


def test_while_answers_flow_the_watcher_wakes_about_once_a_stall_time() -> None:
    clock = SttClock(stall_after_s=STALL_AFTER_S)
    clock.stream_opened(asked_at=0.0, now=0.0)
    frame = np.zeros(FRAME_SAMPLES, np.float32)
    events: dict[int, Callable[[float], None]] = {}

    def send(now: float) -> None:
        clock.take_audio(frame, now)

    def answer(now: float) -> None:
        clock.answered(now)

    for step in range(1, 1000, 8):  # 10 s: a frame every 80 ms, answered 30 ms later
        events[step], events[step + 3] = send, answer
    found, checks = first_stall_by_deadline(events, clock.stalled, clock.stall_check_at)
    seconds = (max(events) + 200) * STEP_S
    assert found is None, "every frame was answered"
    assert seconds / STALL_AFTER_S <= checks <= seconds / STALL_AFTER_S * 1.2
