"""The speech clients' connection (picows underneath): messages in whole and in order,
flow control, limits, how the connection ended, and the upgrade's failures, against a
websockets server (another library's framing) over real sockets on 127.0.0.1."""

from __future__ import annotations

import asyncio
import functools
import socket
import weakref
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager

import pytest
from websockets.asyncio.server import ServerConnection, serve
from websockets.exceptions import ConnectionClosed
from websockets.frames import CloseCode, Frame, Opcode
from websockets.http11 import Request, Response

from backend.clients.speech_connection import (
    MAX_MESSAGE_BYTES,
    MAX_QUEUED,
    SpeechConnection,
    SpeechConnectionClosed,
    SpeechUpgradeRefused,
    connect_speech,
)

pytestmark = pytest.mark.integration

GUARD_S = 5.0  # far beyond anything on loopback; only a broken connection waits this long
Handler = Callable[[ServerConnection], Awaitable[None]]


async def wait_closed(connection: ServerConnection) -> None:
    await connection.wait_closed()


@asynccontextmanager
async def server_then_client(
    handler: Handler, *, max_size: int | None = None
) -> AsyncIterator[SpeechConnection]:
    async with serve(handler, "127.0.0.1", 0, compression=None, max_size=max_size) as server:
        port = server.sockets[0].getsockname()[1]
        client = await connect_speech(
            f"ws://127.0.0.1:{port}/api/asr-streaming", headers={}, timeout_s=GUARD_S
        )
        try:
            yield client
        finally:
            await client.close(GUARD_S)


async def read(connection: SpeechConnection, count: int) -> list[bytes | str]:
    async with asyncio.timeout(GUARD_S):
        return [await connection.next_message() for _ in range(count)]


async def end_of(connection: SpeechConnection) -> SpeechConnectionClosed:
    with pytest.raises(SpeechConnectionClosed) as ended:
        await read(connection, 1)
    return ended.value


async def test_fragmented_and_text_messages_arrive_whole_and_in_order() -> None:
    async def handler(connection: ServerConnection) -> None:
        await connection.send(b"one")
        await connection.send([b"tw", b"o"])  # one message in two fragments
        await connection.send("three")
        await connection.send(["fo", "ur"])
        await connection.wait_closed()

    async with server_then_client(handler) as client:
        assert await read(client, 4) == [b"one", b"two", "three", "four"]


async def test_what_the_client_sends_arrives_as_binary_messages_in_order() -> None:
    received: list[bytes | str] = []

    async def handler(connection: ServerConnection) -> None:
        received.extend([await connection.recv() for _ in range(3)])
        await connection.send(b"got them")
        await connection.wait_closed()

    async with server_then_client(handler) as client:
        for message in (b"a", b"b" * 70_000, b"c"):  # 7- and 64-bit lengths both
            client.send(message)
        assert await read(client, 1) == [b"got them"]
    assert received == [b"a", b"b" * 70_000, b"c"]


async def test_a_reader_far_behind_pauses_the_socket_and_loses_nothing() -> None:
    sent = [f"message {index}".encode() for index in range(MAX_QUEUED * 3)]

    async def handler(connection: ServerConnection) -> None:
        for message in sent:
            await connection.send(message)
        await connection.wait_closed()

    async with server_then_client(handler) as client:
        async with asyncio.timeout(GUARD_S):
            while client.is_reading:  # nobody reads: it must pause
                await asyncio.sleep(0.01)
        assert await read(client, len(sent)) == sent
        assert client.is_reading


async def test_messages_before_a_normal_close_are_read_then_it_says_closed() -> None:
    codes: list[int | None] = []

    async def handler(connection: ServerConnection) -> None:
        await connection.send(b"last words")
        await connection.close()
        codes.append(connection.close_code)

    async with server_then_client(handler) as client:
        await asyncio.sleep(0.1)  # the close has come in before anything is read
        assert await read(client, 1) == [b"last words"]
        assert (await end_of(client)).normal
        assert codes == [CloseCode.NORMAL_CLOSURE]  # our answer carried the server's code


async def test_a_server_going_away_is_a_normal_end() -> None:
    async def handler(connection: ServerConnection) -> None:
        await connection.close(CloseCode.GOING_AWAY, "shutting down")

    async with server_then_client(handler) as client:
        assert (await end_of(client)).normal


async def test_a_close_with_an_error_code_is_not_a_normal_end() -> None:
    async def handler(connection: ServerConnection) -> None:
        await connection.close(CloseCode.INTERNAL_ERROR, "model crashed")

    async with server_then_client(handler) as client:
        ended = await end_of(client)
        assert not ended.normal
        assert "1011" in str(ended)


async def test_a_dropped_connection_wakes_a_waiting_reader_with_an_error() -> None:
    async def handler(connection: ServerConnection) -> None:
        await asyncio.sleep(0.05)
        connection.transport.abort()

    async with server_then_client(handler) as client:
        ended = await end_of(client)
        assert not ended.normal
        assert "connection lost" in str(ended)
        with pytest.raises(SpeechConnectionClosed):
            client.send(b"too late")


@pytest.mark.usefixtures("automatic_collection_off")
async def test_a_connection_read_to_its_end_is_freed_without_the_cyclic_collector() -> None:
    # A conversation opens one per reply; the collector's full pass may be dozens of
    # conversations away, so what it holds must go with its last reference.
    async def handler(connection: ServerConnection) -> None:
        await connection.send(b"last words")
        await connection.close()

    async def ends_normally(read_once: Callable[[], Awaitable[object]]) -> bool:
        # Not `pytest.raises`: its record of the error would hold this frame, and the
        # connection with it.
        try:
            async with asyncio.timeout(GUARD_S):
                await read_once()
        except SpeechConnectionClosed as closed:
            return closed.normal
        return False

    async with server_then_client(handler) as client:
        assert await read(client, 1) == [b"last words"]
        assert await ends_normally(client.next_message)
        assert await ends_normally(client.next_message), "every reader after the end"
        assert await ends_normally(functools.partial(client.deliver, lambda message: None))
        freed = weakref.ref(client)
    del client
    assert freed() is None, "a cycle keeps the connection"


@pytest.mark.usefixtures("automatic_collection_off")
async def test_a_delivery_its_handler_ended_leaves_the_connection_free_of_cycles() -> None:
    async def handler(connection: ServerConnection) -> None:
        await asyncio.sleep(0.05)  # the delivery waits: the handler runs in picows' callback
        await connection.send(b"unreadable")
        await connection.wait_closed()

    def refuse(message: bytes | str) -> None:
        raise ValueError(f"cannot read {message!r}")

    async with server_then_client(handler) as client:
        try:
            async with asyncio.timeout(GUARD_S):
                await client.deliver(refuse)
        except ValueError as error:
            assert "unreadable" in str(error)
        freed = weakref.ref(client)
    del client
    assert freed() is None, "a cycle keeps the connection"


async def test_a_message_too_big_in_pieces_is_refused_and_nothing_after_it_is_read() -> None:
    codes: list[int | None] = []
    piece = b"x" * (1 << 20)
    pieces = MAX_MESSAGE_BYTES // len(piece) + 1

    async def handler(connection: ServerConnection) -> None:
        await connection.send(b"before")
        try:
            await connection.send([piece] * pieces)
            await connection.send(b"after")
        except ConnectionClosed:
            pass
        await connection.wait_closed()
        codes.append(connection.close_code)

    async with server_then_client(handler) as client:
        assert await read(client, 1) == [b"before"]
        assert not (await end_of(client)).normal
    assert codes == [CloseCode.MESSAGE_TOO_BIG]


async def test_a_text_message_that_is_not_utf8_is_refused() -> None:
    codes: list[int | None] = []

    async def handler(connection: ServerConnection) -> None:
        # websockets checks what it sends: write the bad frame through its protocol.
        connection.protocol.send_frame(Frame(Opcode.TEXT, b"\xff\xfe"))
        connection.send_data()
        await connection.wait_closed()
        codes.append(connection.close_code)

    async with server_then_client(handler) as client:
        assert not (await end_of(client)).normal
    assert codes == [CloseCode.INVALID_DATA]


async def test_the_servers_pings_are_answered() -> None:
    answered: list[float] = []

    async def handler(connection: ServerConnection) -> None:
        pong = await connection.ping()
        answered.append(await asyncio.wait_for(pong, GUARD_S))
        await connection.send(b"pong came")
        await connection.wait_closed()

    async with server_then_client(handler) as client:
        assert await read(client, 1) == [b"pong came"]
    assert len(answered) == 1


async def test_an_upgrade_refused_with_a_status_says_which() -> None:
    def refuse(connection: ServerConnection, request: Request) -> Response:
        return connection.respond(401, "bad key\n")

    async with serve(wait_closed, "127.0.0.1", 0, process_request=refuse) as server:
        port = server.sockets[0].getsockname()[1]
        with pytest.raises(SpeechUpgradeRefused) as refused:
            await connect_speech(f"ws://127.0.0.1:{port}/", headers={}, timeout_s=GUARD_S)
    assert refused.value.status == 401


async def test_the_upgrade_carries_the_headers_given() -> None:
    seen: list[str | None] = []

    def look(connection: ServerConnection, request: Request) -> None:
        seen.append(request.headers.get("kyutai-api-key"))

    async with serve(wait_closed, "127.0.0.1", 0, process_request=look) as server:
        port = server.sockets[0].getsockname()[1]
        client = await connect_speech(
            f"ws://127.0.0.1:{port}/", headers={"kyutai-api-key": "k"}, timeout_s=GUARD_S
        )
        await client.close(GUARD_S)
    assert seen == ["k"]


async def test_a_port_nobody_listens_on_is_an_os_error() -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    with pytest.raises(OSError):
        await connect_speech(f"ws://127.0.0.1:{port}/", headers={}, timeout_s=GUARD_S)


class SilentServer:
    """Takes the upgrade request and never answers it; notes when the client hangs up."""

    def __init__(self) -> None:
        self.request_read = asyncio.Event()
        self.client_gone = asyncio.Event()

    async def serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await reader.readuntil(b"\r\n\r\n")
        self.request_read.set()
        await reader.read()  # until the client hangs up
        self.client_gone.set()
        writer.close()


async def test_a_server_that_never_answers_the_upgrade_times_out_and_is_hung_up_on() -> None:
    silent = SilentServer()
    server = await asyncio.start_server(silent.serve, "127.0.0.1", 0)
    async with server:
        port = server.sockets[0].getsockname()[1]
        with pytest.raises(TimeoutError):
            await connect_speech(f"ws://127.0.0.1:{port}/", headers={}, timeout_s=0.2)
        await asyncio.wait_for(silent.client_gone.wait(), GUARD_S)


async def test_cancelled_while_the_upgrade_is_awaited_the_connection_ends() -> None:
    silent = SilentServer()
    server = await asyncio.start_server(silent.serve, "127.0.0.1", 0)
    async with server:
        port = server.sockets[0].getsockname()[1]
        connecting = asyncio.create_task(
            connect_speech(f"ws://127.0.0.1:{port}/", headers={}, timeout_s=GUARD_S)
        )
        await asyncio.wait_for(silent.request_read.wait(), GUARD_S)
        connecting.cancel()
        with pytest.raises(asyncio.CancelledError):
            await connecting
        await asyncio.wait_for(silent.client_gone.wait(), GUARD_S)


async def test_an_answer_that_is_not_an_upgrade_is_a_connection_error() -> None:
    async def plain_http(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await reader.readuntil(b"\r\n\r\n")
        writer.write(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nhi")
        await writer.drain()
        writer.close()

    server = await asyncio.start_server(plain_http, "127.0.0.1", 0)
    async with server:
        port = server.sockets[0].getsockname()[1]
        with pytest.raises(ConnectionError, match="not a WebSocket upgrade"):
            await connect_speech(f"ws://127.0.0.1:{port}/", headers={}, timeout_s=GUARD_S)
