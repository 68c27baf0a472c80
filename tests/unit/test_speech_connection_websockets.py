"""What `SpeechConnection` takes from websockets' internals, checked against the installed
websockets (pinned in uv.lock), in memory: an upgrade that renames, re-signs or rewires any
of it fails here and says what to re-check, instead of quietly leaving the speech servers'
messages in websockets' own queue, which nothing reads."""

from __future__ import annotations

import asyncio
import hashlib
import inspect
import textwrap
from collections.abc import Callable
from dataclasses import fields
from typing import Any

import pytest
from websockets.asyncio import messages
from websockets.asyncio.client import ClientConnection
from websockets.asyncio.connection import Connection
from websockets.client import ClientProtocol
from websockets.exceptions import ConnectionClosedError
from websockets.frames import Frame, Opcode
from websockets.uri import parse_uri
from websockets.utils import accept_key
from websockets.version import version as websockets_version

from backend.clients.speech_connection import (
    INVALID_DATA,
    MAX_FRAGMENTS,
    MAX_QUEUED,
    MESSAGE_TOO_BIG,
    SpeechConnection,
)

RECHECK = (
    f"SpeechConnection builds on it: re-read backend/clients/speech_connection.py against "
    f"websockets {websockets_version}'s asyncio/connection.py and asyncio/client.py"
)

# The hooks SpeechConnection overrides, and their parameters after `self`.
OVERRIDDEN = {
    "connection_made": ("transport",),
    "process_event": ("event",),
    "connection_lost": ("exc",),
}
# What it calls or reads on websockets' objects, and the parameters it passes.
CALLED: list[tuple[type, str, tuple[str, ...] | None]] = [  # None: a property
    (ClientConnection, "send_data", ()),
    (ClientConnection, "close_exc", None),
    (ClientProtocol, "fail", ("code", "reason")),
    (ClientProtocol, "state", None),
]
# The methods whose handling of data frames SpeechConnection.process_event replaces, as
# read when it was written: a change to them may be a change it has to make too.
REPLACED_SOURCE: dict[tuple[type, str], str] = {
    (Connection, "process_event"): "3c68bfbfd411ec34",
    (ClientConnection, "process_event"): "3a75ce92dec6da9c",
}


def parameters(function: Callable[..., Any]) -> tuple[str, ...]:
    return tuple(inspect.signature(function).parameters)[1:]


@pytest.mark.parametrize(("name", "expected"), OVERRIDDEN.items())
def test_the_hooks_it_overrides_are_websockets_hooks_still(
    name: str, expected: tuple[str, ...]
) -> None:
    hook = getattr(ClientConnection, name, None)
    assert callable(hook), f"websockets' ClientConnection has no {name} any more; {RECHECK}"
    assert parameters(hook) == expected, (
        f"ClientConnection.{name} takes other parameters; {RECHECK}"
    )
    assert parameters(getattr(SpeechConnection, name)) == expected, "the override must match"


@pytest.mark.parametrize(("owner", "name", "expected"), CALLED)
def test_what_it_calls_is_there_with_the_same_parameters(
    owner: type, name: str, expected: tuple[str, ...] | None
) -> None:
    found = inspect.getattr_static(owner, name, None)
    where = f"websockets' {owner.__name__}.{name}"
    if expected is None:
        assert isinstance(found, property), f"{where} is no longer a property; {RECHECK}"
    else:
        assert callable(found), f"{where} is gone; {RECHECK}"
        assert parameters(found) == expected, f"{where} takes other parameters; {RECHECK}"


def test_frames_still_have_what_it_reads() -> None:
    assert {"opcode", "data", "fin"} <= {field.name for field in fields(Frame)}, RECHECK


def test_its_limits_are_websockets_own() -> None:
    max_queue = inspect.signature(ClientConnection).parameters["max_queue"].default
    assert max_queue == MAX_QUEUED, f"websockets' default max_queue is {max_queue}; {RECHECK}"
    max_fragments = getattr(messages, "MAX_FRAGMENTS", None)
    assert max_fragments == MAX_FRAGMENTS, (
        f"websockets' asyncio/messages.py MAX_FRAGMENTS is {max_fragments}; {RECHECK}"
    )


@pytest.mark.parametrize(("owner", "name"), REPLACED_SOURCE)
def test_the_code_it_replaces_is_as_it_was_read(owner: type, name: str) -> None:
    method = vars(owner).get(name)
    where = f"websockets' {owner.__name__}.{name}"
    assert callable(method), f"{where} is gone; {RECHECK}"
    source = textwrap.dedent(inspect.getsource(method))
    digest = hashlib.sha256(source.encode()).hexdigest()[:16]
    assert digest == REPLACED_SOURCE[owner, name], (
        f"{where} changed ({inspect.getsourcefile(method)}); "
        f"{RECHECK}, then set its digest here to {digest!r}"
    )


class MemoryTransport(asyncio.Transport):
    """Where websockets writes, in memory; its reading pauses as a socket's does."""

    def __init__(self) -> None:
        super().__init__()
        self.written = bytearray()
        self.reading = True
        self.pauses = 0
        self.closing = False

    def write(self, data: bytes | bytearray | memoryview) -> None:
        self.written += data

    def is_closing(self) -> bool:
        return self.closing

    def close(self) -> None:
        self.closing = True

    def pause_reading(self) -> None:
        self.reading = False
        self.pauses += 1

    def resume_reading(self) -> None:
        self.reading = True

    def set_write_buffer_limits(self, high: int | None = None, low: int | None = None) -> None:
        pass

    def can_write_eof(self) -> bool:
        return False


def opened_in_memory() -> tuple[SpeechConnection, MemoryTransport]:
    """A SpeechConnection past its handshake, fed through websockets' own `data_received`."""
    protocol = ClientProtocol(parse_uri("ws://speech.invalid/"))
    connection = SpeechConnection(protocol)
    transport = MemoryTransport()
    connection.connection_made(transport)
    request = protocol.connect()
    protocol.send_request(request)
    connection.send_data()
    accept = accept_key(request.headers["Sec-WebSocket-Key"])
    connection.data_received(
        b"HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
        + f"Sec-WebSocket-Accept: {accept}\r\n\r\n".encode()
    )
    assert connection.response is not None, f"the handshake's response was not taken; {RECHECK}"
    return connection, transport


def from_server(opcode: Opcode, data: bytes, *, fin: bool = True) -> bytes:
    return Frame(opcode, data, fin).serialize(mask=False)


async def take(connection: SpeechConnection) -> bytes | str:
    """`next_message` when a message is queued: it returns without waiting."""
    return await settled(asyncio.ensure_future(connection.next_message()))


async def settled(reading: asyncio.Future[bytes | str]) -> bytes | str:
    """What a `next_message` that should be done by now returned (or raised)."""
    await asyncio.sleep(0)
    if not reading.done():
        reading.cancel()
        pytest.fail(f"a message or the end websockets received did not reach the reader; {RECHECK}")
    return reading.result()


async def test_frames_websockets_receives_come_out_of_next_message_and_nowhere_else() -> None:
    connection, transport = opened_in_memory()
    for index in range(MAX_QUEUED * 3):
        connection.data_received(from_server(Opcode.BINARY, b"%d" % index))
        assert await take(connection) == b"%d" % index
    # Read as they came, they never filled SpeechConnection's queue: a pause means that
    # websockets queued them too, in a queue nothing reads.
    assert transport.pauses == 0, f"websockets also queued the messages; {RECHECK}"

    connection.data_received(from_server(Opcode.TEXT, b"tw", fin=False))
    connection.data_received(from_server(Opcode.CONT, b"o"))
    assert await take(connection) == "two"


async def test_control_frames_still_reach_websockets() -> None:
    connection, _ = opened_in_memory()
    pong_received = asyncio.ensure_future(await connection.ping(b"keepalive"))
    connection.data_received(from_server(Opcode.PONG, b"keepalive"))
    assert pong_received.done(), f"a pong no longer acknowledges websockets' ping; {RECHECK}"


async def test_a_waiting_reader_is_woken_by_a_message_and_by_the_end() -> None:
    connection, transport = opened_in_memory()
    waiting = asyncio.ensure_future(connection.next_message())
    await asyncio.sleep(0)
    connection.data_received(from_server(Opcode.BINARY, b"one"))
    assert await settled(waiting) == b"one"

    written = len(transport.written)
    # Refused with the message that came with it, as websockets' reader would refuse it.
    connection.data_received(from_server(Opcode.TEXT, b"\xff") + from_server(Opcode.BINARY, b"2"))
    close = connection.protocol.close_sent
    assert close is not None and close.code == INVALID_DATA, (
        f"invalid UTF-8 was not answered with close {INVALID_DATA}; {RECHECK}"
    )
    assert len(transport.written) > written, f"the close frame was not sent; {RECHECK}"

    waiting = asyncio.ensure_future(connection.next_message())
    await asyncio.sleep(0)
    assert not waiting.done(), "closing, not closed: the reader waits for the end"
    connection.connection_lost(None)
    with pytest.raises(ConnectionClosedError):
        await settled(waiting)


async def test_a_message_in_more_pieces_than_websockets_allows_is_refused() -> None:
    connection, _ = opened_in_memory()
    connection.data_received(from_server(Opcode.BINARY, b"", fin=False))
    piece = from_server(Opcode.CONT, b"", fin=False)
    for _ in range(MAX_FRAGMENTS - 1):
        connection.data_received(piece)
    assert connection.protocol.close_sent is None, "as many pieces as websockets allows"
    connection.data_received(piece)
    close = connection.protocol.close_sent
    assert close is not None and close.code == MESSAGE_TOO_BIG
