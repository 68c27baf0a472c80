"""The speech clients' connection: messages in whole and in order, flow control, and the
end of the stream, against a websockets server over real sockets on 127.0.0.1."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from typing import cast

import pytest
from websockets.asyncio.client import connect
from websockets.asyncio.server import ServerConnection, serve
from websockets.exceptions import ConnectionClosedError, ConnectionClosedOK

from backend.clients.speech_connection import MAX_QUEUED, SpeechConnection

pytestmark = pytest.mark.integration

GUARD_S = 5.0  # far beyond anything on loopback; only a broken connection waits this long


@asynccontextmanager
async def server_then_client(
    handler: Callable[[ServerConnection], Awaitable[None]],
) -> AsyncIterator[SpeechConnection]:
    async with serve(handler, "127.0.0.1", 0, compression=None) as server:
        port = server.sockets[0].getsockname()[1]
        client = await connect(
            f"ws://127.0.0.1:{port}", compression=None, create_connection=SpeechConnection
        )
        try:
            yield cast(SpeechConnection, client)
        finally:
            await client.close()


async def read(connection: SpeechConnection, count: int) -> list[bytes | str]:
    async with asyncio.timeout(GUARD_S):
        return [await connection.next_message() for _ in range(count)]


async def test_fragmented_and_text_messages_arrive_whole_and_in_order() -> None:
    async def handler(connection: ServerConnection) -> None:
        await connection.send(b"one")
        await connection.send([b"tw", b"o"])  # one message in two fragments
        await connection.send("three")
        await connection.wait_closed()

    async with server_then_client(handler) as client:
        assert await read(client, 3) == [b"one", b"two", "three"]


async def test_a_reader_far_behind_pauses_the_socket_and_loses_nothing() -> None:
    sent = [f"message {index}".encode() for index in range(MAX_QUEUED * 3)]

    async def handler(connection: ServerConnection) -> None:
        for message in sent:
            await connection.send(message)
        await connection.wait_closed()

    async with server_then_client(handler) as client:
        async with asyncio.timeout(GUARD_S):
            while client.transport.is_reading():  # nobody reads: it must pause
                await asyncio.sleep(0.01)
        assert await read(client, len(sent)) == sent
        assert client.transport.is_reading()


async def test_messages_before_a_normal_close_are_read_then_it_says_closed() -> None:
    async def handler(connection: ServerConnection) -> None:
        await connection.send(b"last words")
        await connection.close()

    async with server_then_client(handler) as client:
        await client.wait_closed()
        assert await read(client, 1) == [b"last words"]
        with pytest.raises(ConnectionClosedOK):
            await read(client, 1)


async def test_a_dropped_connection_wakes_a_waiting_reader_with_an_error() -> None:
    async def handler(connection: ServerConnection) -> None:
        await asyncio.sleep(0.05)
        connection.transport.abort()

    async with server_then_client(handler) as client:
        with pytest.raises(ConnectionClosedError):
            await read(client, 1)
