"""The single-reader queue under the conversation's outgoing messages."""

from __future__ import annotations

import asyncio

import pytest

from backend.outbox import Outbox


async def test_items_come_out_in_order_without_waiting_when_queued() -> None:
    outbox: Outbox[int] = Outbox()
    for item in range(3):
        outbox.put_nowait(item)

    assert len(outbox) == 3
    assert [await outbox.get() for _ in range(3)] == [0, 1, 2]
    assert len(outbox) == 0


async def test_a_waiting_reader_wakes_for_the_next_item() -> None:
    outbox: Outbox[str] = Outbox()
    reading = asyncio.create_task(outbox.get())
    await asyncio.sleep(0)
    assert not reading.done()

    outbox.put_nowait("frame")
    outbox.put_nowait("next")

    assert await reading == "frame"
    assert await outbox.get() == "next"


async def test_a_cancelled_reader_loses_nothing() -> None:
    outbox: Outbox[str] = Outbox()
    reading = asyncio.create_task(outbox.get())
    await asyncio.sleep(0)
    reading.cancel()
    outbox.put_nowait("kept")  # in the same turn as the cancellation
    await asyncio.wait([reading])

    assert reading.cancelled()
    assert await asyncio.wait_for(outbox.get(), timeout=1) == "kept"


async def test_a_second_reader_is_refused() -> None:
    outbox: Outbox[int] = Outbox()
    first = asyncio.create_task(outbox.get())
    await asyncio.sleep(0)

    with pytest.raises(RuntimeError, match="one reader"):
        await outbox.get()
    outbox.put_nowait(1)
    assert await first == 1
