"""`send_text_now`, the browser connection's direct send, under uvicorn and a real client:
each message arrives whole and in order among the ordinary ASGI sends, and it refuses,
writing nothing, whenever the ordinary way must be taken."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable

import pytest
from fastapi import FastAPI, WebSocket
from websockets.asyncio.client import connect

from backend.realtime.browser_websocket import BrowserWebSocketProtocol, send_text_now_of
from backend.realtime.coalescing_websocket import CoalescingWebSocketProtocol
from tests.integration.backend_server import serving

pytestmark = pytest.mark.integration

GUARD_S = 10.0
# Every length form of a frame header: 7-bit, 16-bit and 64-bit, at their edges.
LENGTHS = [0, 1, 125, 126, 127, 65_535, 65_536, 200_000]
BIG = "x" * (1 << 20)


def the_sender(websocket: WebSocket) -> Callable[[str], bool]:
    send_now = send_text_now_of(websocket)
    assert send_now is not None
    return send_now


def app_with(endpoint: Callable[[WebSocket], object]) -> FastAPI:
    app = FastAPI()
    app.add_api_websocket_route("/ws", endpoint)
    return app


async def test_direct_and_ordinary_sends_arrive_whole_and_in_order() -> None:
    async def endpoint(websocket: WebSocket) -> None:
        await websocket.accept()
        send_now = the_sender(websocket)
        for index, length in enumerate(LENGTHS):
            text = json.dumps({"index": index, "pad": "é" * (length // 2)})[:length]
            if index % 2:
                await websocket.send_text(text)
            else:
                assert send_now(text)
        await websocket.receive_text()

    async with (
        serving(app_with(endpoint), ws_protocol=BrowserWebSocketProtocol) as address,
        connect(f"ws://{address}/ws", compression=None, max_size=None) as client,
    ):
        async with asyncio.timeout(GUARD_S):
            received = [await client.recv() for _ in LENGTHS]
        await client.send("done")
    for index, (length, message) in enumerate(zip(LENGTHS, received, strict=True)):
        assert message == json.dumps({"index": index, "pad": "é" * (length // 2)})[:length]


async def test_it_refuses_while_the_client_is_not_reading_and_nothing_is_lost() -> None:
    sent: list[str] = []
    refused = asyncio.Event()

    async def endpoint(websocket: WebSocket) -> None:
        await websocket.accept()
        send_now = the_sender(websocket)
        for index in range(200):  # the socket's buffers hold a few MB at most
            text = f"{index} {BIG}"
            if not send_now(text):
                refused.set()
                await websocket.send_text(text)  # waits until the client reads again
                sent.append(text)
                break
            sent.append(text)
            await asyncio.sleep(0)  # the held write reaches the socket
        await websocket.send_text("last")
        await websocket.receive_text()

    async with (
        serving(app_with(endpoint), ws_protocol=BrowserWebSocketProtocol) as address,
        connect(f"ws://{address}/ws", compression=None, max_size=None, max_queue=1) as client,
    ):
        async with asyncio.timeout(GUARD_S):
            await refused.wait()
            received = [await client.recv()]
            while received[-1] != "last":
                received.append(await client.recv())
        await client.send("done")
    assert received == [*sent, "last"]


async def test_it_refuses_once_the_app_closed_and_with_compression() -> None:
    answers: list[bool] = []

    async def endpoint(websocket: WebSocket) -> None:
        await websocket.accept()
        send_now = the_sender(websocket)
        answers.append(send_now("compressed"))  # permessage-deflate: websockets must frame it
        await websocket.send_text("compressed")
        await websocket.close(4000, "bye")
        answers.append(send_now("after the close"))

    async with (
        serving(
            app_with(endpoint), ws_protocol=BrowserWebSocketProtocol, per_message_deflate=True
        ) as address,
        connect(f"ws://{address}/ws") as client,
    ):
        async with asyncio.timeout(GUARD_S):
            assert await client.recv() == "compressed"
            await client.wait_closed()
    assert client.close_code == 4000
    assert answers == [False, False]


async def test_other_protocols_offer_no_direct_send() -> None:
    found: list[object] = []

    async def endpoint(websocket: WebSocket) -> None:
        await websocket.accept()
        found.append(send_text_now_of(websocket))
        await websocket.close()

    async with (
        serving(app_with(endpoint), ws_protocol=CoalescingWebSocketProtocol) as address,
        connect(f"ws://{address}/ws", compression=None) as client,
    ):
        await client.wait_closed()
    assert found == [None]
