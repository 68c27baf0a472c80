"""`Ticker`: ticks ride on nudges, and its own timer ticks only when they stop.

Times passed to `nudge` are chosen, so which nudges tick is exact. Where the timer must
NOT tick, the last tick is put 1,000 s ahead, so only a timer left armed at the old time
could tick within the test; where it must tick, the test waits for it under a guard.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import AsyncIterator

import pytest

from backend.ticker import Ticker

GUARD_S = 10.0  # a timer tick that takes this long is not coming
FAR_S = 1_000.0


class Recorder:
    def __init__(self) -> None:
        self.ticks: list[float] = []
        self.arrived = asyncio.Event()

    def __call__(self, now: float) -> None:
        self.ticks.append(now)
        self.arrived.set()

    async def next_tick(self) -> float:
        self.arrived.clear()
        async with asyncio.timeout(GUARD_S):
            await self.arrived.wait()
        return self.ticks[-1]


@contextlib.asynccontextmanager
async def running(ticker: Ticker) -> AsyncIterator[asyncio.Task[None]]:
    task = asyncio.create_task(ticker.run())
    await asyncio.sleep(0)  # let it arm its timer
    try:
        yield task
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task


async def test_without_nudges_the_timer_ticks_once_a_period() -> None:
    period = 0.05
    record = Recorder()
    ticker = Ticker(period, record)
    started = time.monotonic()
    async with running(ticker):
        first = await record.next_tick()
        second = await record.next_tick()
    # uvloop's timers may fire a millisecond early; never a period early.
    assert first - started >= period - 0.005
    assert second - first >= period - 0.005


async def test_a_nudge_half_a_period_after_the_last_tick_ticks() -> None:
    record = Recorder()
    ticker = Ticker(100.0, record)  # the timer stays out of it
    start = time.monotonic()
    ticker.nudge(start + 30.0)
    assert record.ticks == []
    ticker.nudge(start + 50.0)
    ticker.nudge(start + 99.0)  # 49 s after that tick
    ticker.nudge(start + 100.0)
    assert record.ticks == [start + 50.0, start + 100.0]


async def test_a_tick_from_a_nudge_puts_the_timer_off_by_a_period() -> None:
    record = Recorder()
    ticker = Ticker(0.05, record)
    async with running(ticker):
        ticker.nudge(time.monotonic() + FAR_S)  # the timer was due in 50 ms
        await asyncio.sleep(0.3)
    assert len(record.ticks) == 1  # the nudge's own


async def test_paused_it_does_not_tick_and_resumed_it_ticks_a_period_later() -> None:
    period = 0.05
    record = Recorder()
    ticker = Ticker(period, record)
    async with running(ticker):
        ticker.pause()
        assert ticker.paused
        ticker.nudge(time.monotonic() + FAR_S)
        await asyncio.sleep(0.3)
        assert record.ticks == []
        resumed = time.monotonic()
        ticker.resume()
        assert not ticker.paused
        ticked = await record.next_tick()
    assert ticked - resumed >= period - 0.005


async def test_pausing_from_inside_a_tick_stops_the_timer() -> None:
    record = Recorder()
    ticker: Ticker

    def tick_then_pause(now: float) -> None:
        record(now)
        ticker.pause()

    ticker = Ticker(0.05, tick_then_pause)
    async with running(ticker):
        await record.next_tick()
        await asyncio.sleep(0.3)
    assert len(record.ticks) == 1


async def test_no_timer_before_run_or_after_it_was_cancelled() -> None:
    record = Recorder()
    ticker = Ticker(0.05, record)
    await asyncio.sleep(0.2)
    assert record.ticks == []
    async with running(ticker):
        await record.next_tick()
    count = len(record.ticks)
    await asyncio.sleep(0.2)
    assert len(record.ticks) == count


async def test_what_a_timer_tick_raises_ends_run() -> None:
    def failing(now: float) -> None:
        raise RuntimeError("the core failed")

    ticker = Ticker(0.05, failing)
    with pytest.raises(RuntimeError, match="the core failed"):
        async with asyncio.timeout(GUARD_S):
            await ticker.run()


async def test_what_a_nudged_tick_raises_reaches_the_caller() -> None:
    def failing(now: float) -> None:
        raise RuntimeError("the core failed")

    ticker = Ticker(100.0, failing)
    with pytest.raises(RuntimeError, match="the core failed"):
        ticker.nudge(time.monotonic() + FAR_S)


def test_the_period_must_be_positive() -> None:
    with pytest.raises(ValueError, match="positive"):
        Ticker(0.0, lambda now: None)
