"""`Alarm`: one waiter woken by `set` or by its time, whichever comes first."""

from __future__ import annotations

import asyncio

import pytest

from backend.alarm import Alarm

GUARD_S = 10.0


async def test_the_time_coming_wakes_it_with_true() -> None:
    alarm = Alarm()
    async with asyncio.timeout(GUARD_S):
        assert await alarm.wait(0.01) is True


async def test_set_wakes_it_first_with_false() -> None:
    alarm = Alarm()
    loop = asyncio.get_running_loop()
    loop.call_soon(alarm.set)
    async with asyncio.timeout(GUARD_S):
        assert await alarm.wait(GUARD_S * 10) is False


async def test_without_a_time_only_set_wakes_it() -> None:
    alarm = Alarm()
    waiting = asyncio.create_task(alarm.wait(None))
    await asyncio.sleep(0.05)
    assert not waiting.done()
    alarm.set()
    async with asyncio.timeout(GUARD_S):
        assert await waiting is False


async def test_a_set_before_the_wait_is_forgotten() -> None:
    alarm = Alarm()
    alarm.set()
    async with asyncio.timeout(GUARD_S):
        assert await alarm.wait(0.01) is True


async def test_a_set_after_the_time_came_changes_nothing() -> None:
    alarm = Alarm()
    waiting = asyncio.create_task(alarm.wait(0.0))
    await asyncio.sleep(0.01)
    alarm.set()
    assert await waiting is True


async def test_cancelling_the_waiter_reaches_it_and_leaves_the_alarm_usable() -> None:
    alarm = Alarm()
    waiting = asyncio.create_task(alarm.wait(GUARD_S * 10))
    await asyncio.sleep(0)
    waiting.cancel()
    with pytest.raises(asyncio.CancelledError):
        await waiting
    async with asyncio.timeout(GUARD_S):
        assert await alarm.wait(0.01) is True


async def test_a_cancel_that_comes_with_the_wake_up_is_not_swallowed() -> None:
    """The waiter's future is resolved and its task cancelled in the same loop turn: the
    task ends cancelled (a reply cut short must not play on)."""
    alarm = Alarm()
    waiting = asyncio.create_task(alarm.wait(None))
    await asyncio.sleep(0)
    alarm.set()
    waiting.cancel()
    with pytest.raises(asyncio.CancelledError):
        await waiting


async def test_one_waiter_at_a_time() -> None:
    alarm = Alarm()
    first = asyncio.create_task(alarm.wait(None))
    await asyncio.sleep(0)
    with pytest.raises(RuntimeError, match="one waiter"):
        await alarm.wait(None)
    alarm.set()
    assert await first is False
