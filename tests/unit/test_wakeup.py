"""`Wakeup`: one waiter, woken by callbacks; what `waiting` says around a cancel."""

from __future__ import annotations

import asyncio

import pytest

from backend.wakeup import Wakeup


async def settle() -> None:
    for _ in range(3):
        await asyncio.sleep(0)


async def test_a_wake_resumes_the_waiter_and_one_before_it_is_forgotten() -> None:
    wakeup = Wakeup("a test")
    wakeup.wake()  # nobody waits: forgotten
    waiter = asyncio.create_task(wakeup.wait())
    await settle()
    assert not waiter.done(), "a wake with nobody waiting is not kept for later"
    assert wakeup.waiting and wakeup.has_waiter
    wakeup.wake()
    assert not wakeup.waiting, "woken: no longer counted as waiting, before it resumes"
    await asyncio.wait_for(waiter, 1)
    assert not wakeup.has_waiter


async def test_a_second_waiter_is_refused_naming_the_owner() -> None:
    wakeup = Wakeup("an Outbox")
    first = asyncio.create_task(wakeup.wait())
    await settle()
    with pytest.raises(RuntimeError, match="an Outbox has one reader"):
        await wakeup.wait()
    wakeup.wake()
    await asyncio.wait_for(first, 1)


async def test_a_cancelled_waiter_stops_counting_as_waiting_at_once() -> None:
    # A callback that runs between the cancel and the task's resumption must not treat it
    # as a waiter (SpeechConnection hands messages only to a waiting reader).
    wakeup = Wakeup("a test")
    waiter = asyncio.create_task(wakeup.wait())
    await settle()
    waiter.cancel()
    assert not wakeup.waiting
    assert wakeup.has_waiter, "still in `wait` until it resumes"
    with pytest.raises(asyncio.CancelledError):
        await waiter
    assert not wakeup.has_waiter
    again = asyncio.create_task(wakeup.wait())  # the place is free again
    await settle()
    wakeup.wake()
    await asyncio.wait_for(again, 1)
