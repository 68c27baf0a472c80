"""The browser's WebSocket protocol, fed chosen chunks through a recording transport:
frames cut at any byte arrive whole, and reading pauses only when messages pile up."""

from __future__ import annotations

import asyncio
import contextvars
from typing import Any

import pytest
import uvicorn
from fastapi import FastAPI, WebSocket
from starlette.websockets import WebSocketState
from uvicorn.server import ServerState
from websockets.frames import Frame, Opcode

from backend.realtime.browser_websocket import (
    PAUSE_AT_BYTES,
    PAUSE_AT_MESSAGES,
    RESUME_AT_MESSAGES,
    BrowserWebSocketProtocol,
    receive_each,
)
from backend.realtime.coalescing_websocket import CoalescingWebSocketProtocol

UPGRADE = (
    b"GET /collect HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
    b"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n"
)


class RecordingTransport(asyncio.Transport):
    """The socket's side: what was written, and when reading was paused and resumed."""

    def __init__(self) -> None:
        super().__init__()
        self.written = bytearray()
        self.reading = True
        self.pauses = 0
        self.closed = False

    def write(self, data: Any) -> None:
        self.written += data

    def close(self) -> None:
        self.closed = True

    def is_closing(self) -> bool:
        return self.closed

    def pause_reading(self) -> None:
        self.reading = False
        self.pauses += 1

    def resume_reading(self) -> None:
        self.reading = True

    def get_write_buffer_size(self) -> int:
        return 0

    def get_extra_info(self, name: str, default: Any = None) -> Any:
        return {"peername": ("127.0.0.1", 5555), "sockname": ("127.0.0.1", 80)}.get(name, default)


class Collector:
    """An app that accepts, waits until released, then keeps what it receives."""

    def __init__(self) -> None:
        self.received: list[str | bytes] = []
        self.released = asyncio.Event()
        self.app = FastAPI()
        self.app.add_api_websocket_route("/collect", self._collect)

    async def _collect(self, websocket: WebSocket) -> None:
        await websocket.accept()
        await self.released.wait()
        while True:
            message = await websocket.receive()
            if message["type"] == "websocket.disconnect":
                return
            self.received.append(message.get("text") or message.get("bytes") or b"")
            await asyncio.sleep(0)

    async def until_received(self, count: int) -> None:
        async with asyncio.timeout(5):
            while len(self.received) < count:
                await asyncio.sleep(0.001)


async def connected(
    collector: Collector | Deliverer,
    *,
    early: bytes = b"",
    protocol_class: type[Any] = BrowserWebSocketProtocol,
) -> tuple[BrowserWebSocketProtocol, RecordingTransport]:
    """The protocol with the upgrade accepted; `early` arrives in a read of its own
    before the app has accepted."""
    config = uvicorn.Config(collector.app, log_level="warning", ws_per_message_deflate=False)
    config.load()
    protocol = protocol_class(config=config, server_state=ServerState(), app_state={})
    transport = RecordingTransport()
    protocol.connection_made(transport)
    protocol.data_received(UPGRADE)
    if early:
        protocol.data_received(early)
    async with asyncio.timeout(5):
        while b"\r\n\r\n" not in transport.written:
            await asyncio.sleep(0.001)
    assert transport.written.startswith(b"HTTP/1.1 101")
    return protocol, transport


def text_frame(text: str) -> bytes:
    return Frame(Opcode.TEXT, text.encode()).serialize(mask=True, extensions=[])


async def test_frames_cut_at_every_byte_arrive_whole_and_in_order() -> None:
    messages = ["a", "b" * 125, "c" * 126, "d" * 70_000]
    stream = b"".join(text_frame(message) for message in messages)
    cuts = sorted({1, 2, 3, 5, 8, 131, 132, 133, 136, 140, 270, 271, len(stream) - 1})
    for cut in cuts:
        collector = Collector()
        protocol, _ = await connected(collector)
        collector.released.set()
        protocol.data_received(stream[:cut])
        protocol.data_received(stream[cut:])
        await collector.until_received(len(messages))
        assert collector.received == messages, f"cut at {cut}"


async def test_reading_pauses_once_messages_pile_up_and_resumes_when_taken() -> None:
    collector = Collector()
    protocol, transport = await connected(collector)
    protocol.data_received(
        b"".join(text_frame(f"m{index}") for index in range(PAUSE_AT_MESSAGES - 1))
    )
    assert transport.reading, "a few messages waiting do not pause reading"
    protocol.data_received(b"".join(text_frame(f"m{index}") for index in range(15, 40)))
    assert not transport.reading
    assert transport.pauses == 1
    collector.released.set()
    await collector.until_received(40 - RESUME_AT_MESSAGES)
    assert transport.reading
    await collector.until_received(40)
    assert collector.received == [f"m{index}" for index in range(40)]
    assert transport.pauses == 1, "reading was not paused and resumed per message"


async def test_reading_pauses_on_bytes_waiting_however_few_messages() -> None:
    collector = Collector()
    protocol, transport = await connected(collector)
    big = "x" * (PAUSE_AT_BYTES // 2)
    protocol.data_received(text_frame(big))
    assert transport.reading
    protocol.data_received(text_frame(big))
    assert not transport.reading
    collector.released.set()
    await collector.until_received(2)
    assert transport.reading


@pytest.mark.parametrize("protocol_class", [BrowserWebSocketProtocol, CoalescingWebSocketProtocol])
async def test_frames_read_before_the_upgrade_is_accepted_are_delivered_first(
    protocol_class: type[Any],
) -> None:
    # A client that does not wait for the 101: websockets parses that connection, as
    # uvicorn's own protocol does, and nothing is lost or reordered.
    collector = Collector()
    half = text_frame("half")
    early = text_frame("early") + half[:3]
    protocol, _ = await connected(collector, early=early, protocol_class=protocol_class)
    collector.released.set()
    protocol.data_received(half[3:] + text_frame("later"))
    await collector.until_received(3)
    assert collector.received == ["early", "half", "later"]


async def test_a_large_message_in_many_small_reads_arrives_whole() -> None:
    collector = Collector()
    protocol, _ = await connected(collector)
    collector.released.set()
    message = "0123456789" * 30_000
    stream = text_frame(message) + text_frame("next")
    for start in range(0, len(stream), 1_000):
        protocol.data_received(stream[start : start + 1_000])
    await collector.until_received(2)
    assert collector.received == [message, "next"]


class Deliverer:
    """An app that accepts, waits until released, then takes its messages through
    `receive_each`; a handler that meets `fail_on` raises."""

    def __init__(self, fail_on: str = "") -> None:
        self.received: list[str | bytes] = []
        self.contexts: list[str] = []
        self.fail_on = fail_on
        self.released = asyncio.Event()
        self.released.set()
        self.ended: asyncio.Future[BaseException | None] = asyncio.Future()
        self.task: asyncio.Task[Any] | None = None
        self.client_state: WebSocketState | None = None
        self.app = FastAPI()
        self.app.add_api_websocket_route("/collect", self._collect)

    async def _collect(self, websocket: WebSocket) -> None:
        self.task = asyncio.current_task()
        await websocket.accept()
        await self.released.wait()
        CALLER.set("the app's task")
        try:
            await receive_each(websocket, self._take)
        except BaseException as error:  # what the test looks at
            self.ended.set_result(error)
            raise
        self.client_state = websocket.client_state
        self.ended.set_result(None)

    def _take(self, message: str | bytes) -> None:
        self.received.append(message)
        self.contexts.append(CALLER.get())
        if message == self.fail_on:
            raise ValueError(f"cannot take {message!r}")

    async def waiting(self) -> None:
        """Until the app waits for messages in `receive_each`."""
        async with asyncio.timeout(5):
            while self.task is None or not self.released.is_set():
                await asyncio.sleep(0.001)
            for _ in range(3):
                await asyncio.sleep(0)


CALLER: contextvars.ContextVar[str] = contextvars.ContextVar("caller", default="none")


def binary_frame(data: bytes) -> bytes:
    return Frame(Opcode.BINARY, data).serialize(mask=True, extensions=[])


def close_frame() -> bytes:
    return Frame(Opcode.CLOSE, b"\x03\xe8").serialize(mask=True, extensions=[])


async def test_delivered_messages_are_handed_over_as_they_are_read() -> None:
    deliverer = Deliverer()
    protocol, _ = await connected(deliverer)
    await deliverer.waiting()
    c = text_frame("c")  # one mask for both halves
    protocol.data_received(text_frame("a") + binary_frame(b"\x00\x01") + c[:3])
    # No task ran between the read and this line: the handler took them in the read.
    assert deliverer.received == ["a", b"\x00\x01"]
    assert deliverer.contexts == ["the app's task"] * 2, "the handler runs in its task's context"
    protocol.data_received(c[3:] + close_frame())
    assert deliverer.received == ["a", b"\x00\x01", "c"]
    async with asyncio.timeout(5):
        assert await deliverer.ended is None, "the client's close ends the delivery"
    assert deliverer.client_state is WebSocketState.DISCONNECTED


@pytest.mark.parametrize("protocol_class", [BrowserWebSocketProtocol, CoalescingWebSocketProtocol])
async def test_receive_each_takes_every_message_in_order_on_either_protocol(
    protocol_class: type[Any],
) -> None:
    # Read before the app waits (queued), then as it waits (handed over), then a fragmented
    # message, after which websockets parses the connection: one order throughout.
    deliverer = Deliverer()
    deliverer.released.clear()
    protocol, _ = await connected(deliverer, protocol_class=protocol_class)
    protocol.data_received(text_frame("early 1") + text_frame("early 2"))
    deliverer.released.set()
    protocol.data_received(text_frame("early 3"))  # before the app's task ran again
    await deliverer.waiting()
    fragments = Frame(Opcode.TEXT, b"frag", fin=False).serialize(mask=True, extensions=[]) + Frame(
        Opcode.CONT, b"mented"
    ).serialize(mask=True, extensions=[])
    protocol.data_received(text_frame("now") + fragments + text_frame("after"))
    protocol.data_received(close_frame())
    async with asyncio.timeout(5):
        assert await deliverer.ended is None
    assert deliverer.received == ["early 1", "early 2", "early 3", "now", "fragmented", "after"]


async def test_a_message_queued_while_the_app_waits_keeps_its_place() -> None:
    deliverer = Deliverer()
    protocol, _ = await connected(deliverer)
    await deliverer.waiting()
    protocol.queue.put_nowait({"type": "websocket.receive", "text": "queued"})
    protocol.data_received(text_frame("read after it"))
    assert deliverer.received == [], "nothing overtakes a queued message"
    protocol.data_received(close_frame())
    async with asyncio.timeout(5):
        await deliverer.ended
    assert deliverer.received == ["queued", "read after it"]


async def test_what_the_handler_raises_ends_the_delivery_in_the_apps_task() -> None:
    deliverer = Deliverer(fail_on="bad")
    protocol, _ = await connected(deliverer)
    await deliverer.waiting()
    protocol.data_received(text_frame("ok") + text_frame("bad") + text_frame("unread"))
    protocol.data_received(text_frame("unread too"))
    async with asyncio.timeout(5):
        failure = await deliverer.ended
    assert isinstance(failure, ValueError)
    assert deliverer.received == ["ok", "bad"]


async def test_nothing_is_handed_over_once_the_apps_task_is_cancelled() -> None:
    deliverer = Deliverer()
    protocol, _ = await connected(deliverer)
    await deliverer.waiting()
    protocol.data_received(text_frame("before"))
    assert deliverer.task is not None
    deliverer.task.cancel()
    protocol.data_received(text_frame("after the cancel"))
    async with asyncio.timeout(5):
        assert isinstance(await deliverer.ended, asyncio.CancelledError)
    assert deliverer.received == ["before"]
