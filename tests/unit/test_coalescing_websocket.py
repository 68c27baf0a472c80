"""Frames written to the browser in one loop iteration leave in one write, in order."""

from __future__ import annotations

import asyncio
from typing import Any

from backend.realtime.coalescing_websocket import CoalescingTransport


class RecordingTransport(asyncio.Transport):
    """The real transport's side: what reached the socket, one entry per write."""

    def __init__(self) -> None:
        super().__init__()
        self.writes: list[bytes] = []
        self.closed = False
        self.aborted = False
        self.buffered = 0

    def write(self, data: Any) -> None:
        assert not self.closed, "written after close"
        self.writes.append(bytes(data))

    def close(self) -> None:
        self.closed = True

    def abort(self) -> None:
        self.aborted = True
        self.closed = True

    def is_closing(self) -> bool:
        return self.closed

    def get_write_buffer_size(self) -> int:
        return self.buffered

    def get_extra_info(self, name: str, default: Any = None) -> Any:
        return {"peername": ("127.0.0.1", 5555)}.get(name, default)


async def next_iteration() -> None:
    await asyncio.sleep(0)
    await asyncio.sleep(0)


async def test_writes_of_one_iteration_leave_in_one_write_in_order() -> None:
    real = RecordingTransport()
    transport = CoalescingTransport(real, asyncio.get_running_loop())
    transport.write(b"audio")
    transport.write(b"")  # nothing to write is not a write
    transport.write(bytearray(b"text"))
    transport.write(memoryview(b"ready"))
    assert real.writes == []  # held until the loop has run what was ready
    await next_iteration()
    assert real.writes == [b"audiotextready"]


async def test_writes_of_later_iterations_are_later_writes() -> None:
    real = RecordingTransport()
    transport = CoalescingTransport(real, asyncio.get_running_loop())
    transport.write(b"one")
    await next_iteration()
    transport.write(b"two")
    transport.writelines([b"three", b"four"])
    await next_iteration()
    await next_iteration()
    assert real.writes == [b"one", b"twothreefour"]


async def test_writes_from_several_tasks_ready_together_share_a_write() -> None:
    real = RecordingTransport()
    transport = CoalescingTransport(real, asyncio.get_running_loop())
    ready = asyncio.Event()

    async def writer(data: bytes) -> None:
        await ready.wait()
        transport.write(data)

    tasks = [asyncio.create_task(writer(data)) for data in (b"a", b"b", b"c")]
    await asyncio.sleep(0)  # all three wait on the event
    ready.set()  # and wake in the same iteration
    await asyncio.gather(*tasks)
    await next_iteration()
    assert real.writes == [b"abc"]


async def test_close_writes_what_is_held_first() -> None:
    real = RecordingTransport()
    transport = CoalescingTransport(real, asyncio.get_running_loop())
    transport.write(b"close frame")
    transport.close()
    assert real.writes == [b"close frame"]
    assert real.closed
    await next_iteration()  # the scheduled flush finds nothing more to write
    assert real.writes == [b"close frame"]


async def test_abort_drops_what_is_held() -> None:
    real = RecordingTransport()
    transport = CoalescingTransport(real, asyncio.get_running_loop())
    transport.write(b"never sent")
    transport.abort()
    await next_iteration()
    assert real.aborted
    assert real.writes == []


async def test_frames_held_when_the_connection_closes_are_dropped() -> None:
    real = RecordingTransport()
    transport = CoalescingTransport(real, asyncio.get_running_loop())
    transport.write(b"too late")
    real.close()  # the peer went away before the loop came round
    await next_iteration()
    assert real.writes == []
    assert transport.is_closing()


async def test_buffer_size_counts_the_held_bytes() -> None:
    real = RecordingTransport()
    real.buffered = 100
    transport = CoalescingTransport(real, asyncio.get_running_loop())
    transport.write(b"12345")
    assert transport.get_write_buffer_size() == 105
    await next_iteration()
    assert transport.get_write_buffer_size() == 100
    assert transport.get_extra_info("peername") == ("127.0.0.1", 5555)
