"""The single-reader queue under the conversation's outgoing messages, and the client's
outbox over it: written at once when it can be, never out of order."""

from __future__ import annotations

import asyncio

import pytest

from backend.outbox import ClientOutbox, Outbox


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


class Socket:
    """`write_now` of a client: takes items while `keeping_up`, and notes what it wrote."""

    def __init__(self) -> None:
        self.keeping_up = True
        self.wire: list[str] = []

    def write_now(self, item: str) -> bool:
        if self.keeping_up:
            self.wire.append(item)
        return self.keeping_up


async def test_items_are_written_at_once_while_the_client_keeps_up() -> None:
    socket = Socket()
    outbox = ClientOutbox(socket.write_now)
    for item in ("a", "b", "c"):
        outbox.put(item)
    assert socket.wire == ["a", "b", "c"]
    assert len(outbox) == 0


async def test_once_one_must_wait_the_rest_queue_behind_it_until_the_sender_caught_up() -> None:
    socket = Socket()
    outbox = ClientOutbox(socket.write_now)
    outbox.put("direct")
    socket.keeping_up = False
    outbox.put("slow 1")
    socket.keeping_up = True  # the socket drained, but "slow 1" is still queued
    outbox.put("slow 2")
    assert socket.wire == ["direct"]
    assert len(outbox) == 2

    # The sender writes them the slow way; while it holds one, nothing overtakes it.
    assert await outbox.take() == "slow 1"
    outbox.put("slow 3")
    socket.wire.append("slow 1")
    outbox.written()
    assert await outbox.take() == "slow 2"
    socket.wire.append("slow 2")
    outbox.written()
    assert await outbox.take() == "slow 3"
    outbox.put("while held")  # nothing else is queued, but "slow 3" is not out yet
    assert socket.wire == ["direct", "slow 1", "slow 2"]
    socket.wire.append("slow 3")
    outbox.written()
    assert await outbox.take() == "while held"
    socket.wire.append("while held")
    outbox.written()

    outbox.put("direct again")
    assert socket.wire == ["direct", "slow 1", "slow 2", "slow 3", "while held", "direct again"]


async def test_a_queued_item_comes_before_anything_put_after_it() -> None:
    socket = Socket()
    outbox = ClientOutbox(socket.write_now)
    outbox.put_queued("close")
    outbox.put("late")
    assert socket.wire == []
    assert [await outbox.take()] == ["close"]
    # The sender stopped without `written` (it closed): nothing more is written.
    outbox.put("later")
    assert socket.wire == []
    assert len(outbox) == 2


async def test_without_a_direct_write_everything_queues() -> None:
    outbox: ClientOutbox[int] = ClientOutbox()
    for item in range(3):
        outbox.put(item)
    assert len(outbox) == 3
    assert [await outbox.take() for _ in range(3)] == [0, 1, 2]
