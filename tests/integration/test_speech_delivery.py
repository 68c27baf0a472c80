"""`SpeechConnection.deliver`: each message handed to a callback in the loop turn that
read it, in order, with the connection's end, a failing callback and a cancelled reader
each stopping the delivery cleanly; over real sockets, against a websockets server."""

from __future__ import annotations

import asyncio

import pytest
from websockets.asyncio.server import ServerConnection
from websockets.frames import CloseCode

from backend.clients.speech_connection import SpeechConnection, SpeechConnectionClosed
from tests.integration.test_speech_connection import GUARD_S, read, server_then_client

pytestmark = pytest.mark.integration


class Recorder:
    """A handler that notes each message and whether a task was running it."""

    def __init__(self, fail_on: bytes | None = None) -> None:
        self.messages: list[bytes | str] = []
        self.in_a_task: list[bool] = []
        self._fail_on = fail_on

    def __call__(self, message: bytes | str) -> None:
        self.messages.append(message)
        self.in_a_task.append(asyncio.current_task() is not None)
        if message == self._fail_on:
            raise LookupError(f"cannot take {message!r}")


async def deliver_until_closed(client: SpeechConnection, handler: Recorder) -> bool:
    """Runs `deliver` to the connection's end; True when that end was normal."""
    with pytest.raises(SpeechConnectionClosed) as ended:
        async with asyncio.timeout(GUARD_S):
            await client.deliver(handler)
    return ended.value.normal


async def test_queued_messages_come_first_then_each_is_handed_over_as_it_is_read() -> None:
    async def handler(connection: ServerConnection) -> None:
        await connection.send(b"early 1")
        await connection.send(b"early 2")
        assert await connection.recv() == b"ready"
        for index in range(3):
            await connection.send(f"late {index}".encode())
            await asyncio.sleep(0.02)  # one read per message
        await connection.close()

    async with server_then_client(handler) as client:
        await asyncio.sleep(0.1)  # both early messages are queued before delivery starts
        recorder = Recorder()
        client.send(b"ready")
        assert await deliver_until_closed(client, recorder)
    assert recorder.messages == [b"early 1", b"early 2", b"late 0", b"late 1", b"late 2"]
    # The queued ones from the delivering task; the rest from picows' callback, no task.
    assert recorder.in_a_task == [True, True, False, False, False]


async def test_a_failing_handler_ends_delivery_and_what_came_after_stays_unread() -> None:
    async def handler(connection: ServerConnection) -> None:
        assert await connection.recv() == b"ready"
        for message in (b"one", b"two", b"three"):
            await connection.send(message)
        await connection.wait_closed()

    async with server_then_client(handler) as client:
        recorder = Recorder(fail_on=b"two")
        delivery = asyncio.ensure_future(client.deliver(recorder))
        await asyncio.sleep(0)  # delivery waits for the first message
        client.send(b"ready")
        with pytest.raises(LookupError, match="cannot take b'two'"):
            async with asyncio.timeout(GUARD_S):
                await delivery
        assert recorder.messages == [b"one", b"two"]
        assert await read(client, 1) == [b"three"]  # the connection is still usable


async def test_once_the_delivering_task_is_cancelled_nothing_more_is_handed_over() -> None:
    async def handler(connection: ServerConnection) -> None:
        await connection.send(b"before")
        assert await connection.recv() == b"cancelled"
        await connection.send(b"after")
        await connection.wait_closed()

    async with server_then_client(handler) as client:
        recorder = Recorder()
        delivery = asyncio.ensure_future(client.deliver(recorder))
        async with asyncio.timeout(GUARD_S):
            while not recorder.messages:
                await asyncio.sleep(0.01)
        delivery.cancel()
        client.send(b"cancelled")
        with pytest.raises(asyncio.CancelledError):
            await delivery
        assert await read(client, 1) == [b"after"]
    assert recorder.messages == [b"before"]


async def test_an_abnormal_close_ends_delivery_as_not_normal() -> None:
    async def handler(connection: ServerConnection) -> None:
        await connection.send(b"last")
        await connection.close(CloseCode.INTERNAL_ERROR, "model crashed")

    async with server_then_client(handler) as client:
        recorder = Recorder()
        assert not await deliver_until_closed(client, recorder)
    assert recorder.messages == [b"last"]


async def test_one_reader_at_a_time() -> None:
    async def handler(connection: ServerConnection) -> None:
        await connection.wait_closed()

    async with server_then_client(handler) as client:
        reading = asyncio.ensure_future(client.next_message())
        await asyncio.sleep(0)
        with pytest.raises(RuntimeError, match="one reader"):
            await client.deliver(Recorder())
        reading.cancel()
