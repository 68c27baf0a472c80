"""The browser's WebSocket protocol with coalesced writes, under uvicorn and a real client:
every event is its own message, byte for byte and in order, and closes still say why."""

from __future__ import annotations

import asyncio
import json

from fastapi import FastAPI, WebSocket
from websockets.asyncio.client import connect
from websockets.exceptions import ConnectionClosed

from backend.realtime.coalescing_websocket import CoalescingWebSocketProtocol
from tests.integration.backend_server import serving

BURST = 50


def burst_app() -> FastAPI:
    app = FastAPI()

    @app.websocket("/burst")
    async def burst(websocket: WebSocket) -> None:
        await websocket.accept()
        count = int(await websocket.receive_text())
        # Many sends in one task step: they share writes; each stays its own message.
        for index in range(count):
            await websocket.send_text(json.dumps({"index": index, "pad": "x" * index}))
        await websocket.send_bytes(b"\x00binary\xff")
        echo = await websocket.receive_text()
        await websocket.send_text(echo)
        await websocket.close(4001, "done here")

    return app


async def test_a_burst_of_events_arrives_whole_and_in_order_then_the_close() -> None:
    async with (
        serving(burst_app(), ws_protocol=CoalescingWebSocketProtocol) as address,
        connect(f"ws://{address}/burst") as ws,
    ):
        await ws.send(str(BURST))
        received = [json.loads(await ws.recv()) for _ in range(BURST)]
        assert received == [{"index": i, "pad": "x" * i} for i in range(BURST)]
        assert await ws.recv() == b"\x00binary\xff"
        await ws.send("é" * 70_000)  # larger than a socket write: still one message
        assert await ws.recv() == "é" * 70_000
        try:
            await asyncio.wait_for(ws.recv(), 5)
            raise AssertionError("the server should have closed")
        except ConnectionClosed as closed:
            assert closed.rcvd is not None
            assert (closed.rcvd.code, closed.rcvd.reason) == (4001, "done here")
