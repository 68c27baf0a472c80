"""The simulated playout buffer: gaps only when the queue really runs dry."""

from __future__ import annotations

import pytest

from loadtest.playout import PlayoutBuffer

RATE = 24_000
CHUNK = 1920  # 80 ms


def test_audio_arriving_ahead_of_playback_leaves_no_gap() -> None:
    buffer = PlayoutBuffer(start_buffer_s=0.08)
    for index in range(20):  # each 80 ms chunk arrives 40 ms after the previous one
        buffer.add(index * 0.04, CHUNK)
    assert buffer.gaps == []
    assert buffer.audio_s == pytest.approx(20 * 0.08)


def test_audio_arriving_late_is_a_gap_of_the_right_length() -> None:
    buffer = PlayoutBuffer(start_buffer_s=0.08)
    buffer.add(0.0, CHUNK)  # plays from 0.0 to 0.08
    buffer.add(0.05, CHUNK)  # queued: plays until 0.16
    buffer.add(0.30, CHUNK)  # 140 ms after the queue ran dry
    buffer.add(0.35, CHUNK)
    assert buffer.gaps == pytest.approx([0.14])
    assert buffer.gap_s == pytest.approx(0.14)


def test_playback_waits_for_the_start_buffer() -> None:
    buffer = PlayoutBuffer(start_buffer_s=0.2)
    buffer.add(0.0, CHUNK)  # 80 ms: not enough to start
    buffer.add(0.5, CHUNK)  # 160 ms: still waiting, so no gap
    assert not buffer.playing
    buffer.add(0.6, CHUNK)  # 240 ms queued: starts now, plays until 0.84
    assert buffer.playing
    buffer.add(0.84, CHUNK)
    assert buffer.gaps == []


def test_jitter_below_the_tolerance_is_not_a_gap() -> None:
    buffer = PlayoutBuffer(start_buffer_s=0.0, gap_tolerance_s=0.01)
    buffer.add(0.0, CHUNK)
    buffer.add(0.085, CHUNK)  # 5 ms late
    assert buffer.gaps == []


def test_each_turn_is_measured_on_its_own() -> None:
    buffer = PlayoutBuffer(start_buffer_s=0.0)
    buffer.add(0.0, CHUNK)
    buffer.add(1.0, CHUNK)
    assert len(buffer.gaps) == 1
    buffer.start_turn()
    assert (buffer.gaps, buffer.samples, buffer.first_arrival) == ([], 0, None)


def test_realtime_factor_compares_audio_with_its_delivery_time() -> None:
    paced = PlayoutBuffer()
    for index in range(10):
        paced.add(index * 0.08, CHUNK)  # exactly real time
    assert paced.realtime_factor() == pytest.approx(1.0)
    slow = PlayoutBuffer()
    for index in range(10):
        slow.add(index * 0.16, CHUNK)  # half real time
    assert slow.realtime_factor() == pytest.approx(0.8 / (9 * 0.16 + 0.08))
    assert PlayoutBuffer().realtime_factor() is None
