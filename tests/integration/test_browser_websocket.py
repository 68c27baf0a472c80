"""The browser's WebSocket protocol under uvicorn, with a real client over real sockets:
the messages it reads itself arrive whole and in order, and every frame it leaves to
websockets is answered exactly as uvicorn's own protocol answers it."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import pytest
from fastapi import FastAPI, WebSocket, WebSocketDisconnect
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed

from backend.realtime.browser_websocket import BrowserWebSocketProtocol
from backend.realtime.coalescing_websocket import CoalescingWebSocketProtocol
from tests.integration.backend_server import serving

MAX_MESSAGE_BYTES = 16 * 1024 * 1024  # as `serving` configures uvicorn
PROTOCOLS = [BrowserWebSocketProtocol, CoalescingWebSocketProtocol]
FIN, RSV2 = 0x80, 0x20
CONT, TEXT, PING, PONG = 0x0, 0x1, 0x9, 0xA
MASK = b"\x9a\x0f\x31\xc4"


def echo_app(received: list[str | bytes] | None = None) -> FastAPI:
    """Answers each message with what it received (and keeps it in `received`)."""
    app = FastAPI()

    @app.websocket("/echo")
    async def echo(websocket: WebSocket) -> None:
        await websocket.accept()
        while True:
            try:
                message = await websocket.receive()
            except WebSocketDisconnect:
                return
            if message["type"] == "websocket.disconnect":
                return
            text, data = message.get("text"), message.get("bytes")
            if received is not None:
                received.append(text if text is not None else data or b"")
            try:
                if text is not None:
                    await websocket.send_text(json.dumps({"text": text}))
                else:
                    await websocket.send_bytes(data or b"")
            except (WebSocketDisconnect, RuntimeError):
                return  # the server closed first: a frame after this one was refused

    return app


@asynccontextmanager
async def echo_connection(
    protocol: type[BrowserWebSocketProtocol], received: list[str | bytes] | None = None
) -> AsyncIterator[ClientConnection]:
    async with (
        serving(echo_app(received), ws_protocol=protocol) as address,
        connect(f"ws://{address}/echo", max_size=None, compression=None) as ws,
    ):
        yield ws


def raw(opcode: int, payload: bytes, *, first_bits: int = FIN, masked: bool = True) -> bytes:
    """A client frame's bytes, built by hand so that broken ones can be built too; masked
    as a client must mask, unless told otherwise."""
    size = len(payload)
    mask_bit = 0x80 if masked else 0
    if size < 126:
        header = bytes([first_bits | opcode, mask_bit | size])
    elif size < 65_536:
        header = bytes([first_bits | opcode, mask_bit | 126]) + size.to_bytes(2)
    else:
        header = bytes([first_bits | opcode, mask_bit | 127]) + size.to_bytes(8)
    if not masked:
        return header + payload
    return header + MASK + bytes(byte ^ MASK[index % 4] for index, byte in enumerate(payload))


async def close_code(ws: ClientConnection) -> int | None:
    """The code of the server's close frame, once it arrives."""
    with pytest.raises(ConnectionClosed) as closed:
        async with asyncio.timeout(5):
            while True:
                await ws.recv()
    return closed.value.rcvd.code if closed.value.rcvd else None


@pytest.mark.parametrize("protocol", PROTOCOLS)
async def test_messages_of_every_length_arrive_whole_and_in_order(
    protocol: type[BrowserWebSocketProtocol],
) -> None:
    # 7-bit, 16-bit and 64-bit payload lengths, text and binary, one after the other.
    sizes = [0, 1, 125, 126, 1_300, 65_535, 65_536, 300_000]
    async with echo_connection(protocol) as ws:
        for size in sizes:
            await ws.send("é" * (size // 2) + "a" * (size % 2))
            await ws.send(bytes(range(256)) * (size // 256) + bytes(size % 256))
        for size in sizes:
            assert json.loads(await ws.recv()) == {"text": "é" * (size // 2) + "a" * (size % 2)}
            assert await ws.recv() == bytes(range(256)) * (size // 256) + bytes(size % 256)


@pytest.mark.parametrize("protocol", PROTOCOLS)
async def test_frames_cut_anywhere_and_packed_together_arrive_whole(
    protocol: type[BrowserWebSocketProtocol],
) -> None:
    stream = b"".join(raw(TEXT, f"message {index} ".encode() * index) for index in range(40))
    async with echo_connection(protocol) as ws:
        # Pieces of 1 to 7 bytes, each its own write, then the rest in one write.
        cut, piece = 0, 1
        while cut < len(stream) // 2:
            ws.transport.write(stream[cut : cut + piece])
            await asyncio.sleep(0)
            cut, piece = cut + piece, piece % 7 + 1
        ws.transport.write(stream[cut:])
        for index in range(40):
            assert json.loads(await ws.recv()) == {"text": f"message {index} " * index}


@pytest.mark.parametrize("protocol", PROTOCOLS)
async def test_a_ping_among_messages_is_answered_and_reading_carries_on(
    protocol: type[BrowserWebSocketProtocol],
) -> None:
    async with echo_connection(protocol) as ws:
        pong = await ws.ping(b"among")
        ws.transport.write(
            raw(TEXT, b"before")
            + raw(PING, b"in between")
            + raw(PONG, b"unsolicited")
            + raw(TEXT, b"after")
        )
        async with asyncio.timeout(5):
            await pong
        assert json.loads(await ws.recv()) == {"text": "before"}
        assert json.loads(await ws.recv()) == {"text": "after"}
        await ws.send("still read")
        assert json.loads(await ws.recv()) == {"text": "still read"}


@pytest.mark.parametrize("protocol", PROTOCOLS)
async def test_a_fragmented_message_is_assembled_and_later_ones_still_arrive(
    protocol: type[BrowserWebSocketProtocol],
) -> None:
    async with echo_connection(protocol) as ws:
        await ws.send("whole")
        await ws.send(["frag", "ment", "ed"])  # websockets sends a list as fragments
        await ws.send("whole again")
        assert json.loads(await ws.recv()) == {"text": "whole"}
        assert json.loads(await ws.recv()) == {"text": "fragmented"}
        assert json.loads(await ws.recv()) == {"text": "whole again"}


@pytest.mark.parametrize("protocol", PROTOCOLS)
@pytest.mark.parametrize(
    ("bad_frame", "expected_code"),
    [
        pytest.param(raw(TEXT, b"caf\xe9"), 1007, id="text-not-utf8"),
        pytest.param(raw(TEXT, b"unmasked", masked=False), 1002, id="unmasked"),
        pytest.param(raw(TEXT, b"x", first_bits=FIN | RSV2), 1002, id="reserved-bit"),
        pytest.param(raw(CONT, b"x"), 1002, id="stray-continuation"),
        pytest.param(raw(PING, b"x", first_bits=0), 1002, id="fragmented-ping"),
        pytest.param(
            bytes([0x81, 0xFF]) + (MAX_MESSAGE_BYTES + 1).to_bytes(8) + b"mask",
            1009,
            id="too-large",
        ),
        pytest.param(raw(PING, bytes(200)), 1002, id="long-ping"),
        pytest.param(bytes([0x83, 0x80]) + b"mask", 1002, id="unknown-opcode"),
    ],
)
async def test_a_bad_frame_after_good_ones_is_refused_as_uvicorn_refuses_it(
    protocol: type[BrowserWebSocketProtocol], bad_frame: bytes, expected_code: int
) -> None:
    received: list[str | bytes] = []
    async with echo_connection(protocol, received) as ws:
        await ws.send("first")
        assert json.loads(await ws.recv()) == {"text": "first"}
        # In one write: the good frame is delivered, the bad one closes the connection.
        ws.transport.write(raw(TEXT, b"good") + bad_frame)
        assert await close_code(ws) == expected_code
    if protocol is BrowserWebSocketProtocol:
        assert received == ["first", "good"]
    else:  # uvicorn's own drops a good message that shares a read with a malformed frame
        assert received[0] == "first"


@pytest.mark.parametrize("protocol", PROTOCOLS)
async def test_the_clients_close_reaches_the_app_and_is_answered(
    protocol: type[BrowserWebSocketProtocol],
) -> None:
    closes: asyncio.Queue[tuple[int, str]] = asyncio.Queue()
    app = FastAPI()

    @app.websocket("/close")
    async def until_closed(websocket: WebSocket) -> None:
        await websocket.accept()
        await websocket.receive_text()
        message = await websocket.receive()
        closes.put_nowait((message["code"], message.get("reason", "")))

    async with (
        serving(app, ws_protocol=protocol) as address,
        connect(f"ws://{address}/close") as ws,
    ):
        await ws.send("hello")
        await ws.close(4003, "going")
        assert ws.close_code == 4003  # the server echoed the close
        async with asyncio.timeout(5):
            assert await closes.get() == (4003, "going")
