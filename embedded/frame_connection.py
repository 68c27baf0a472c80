"""A speech server's side of one WebSocket: binary frames in and out, and the refusal of
an upgrade with a wrong API key. Shared by the CPU STT and TTS servers."""

from __future__ import annotations

from fastapi import WebSocket
from fastapi.responses import PlainTextResponse
from starlette.websockets import WebSocketDisconnect


class ClientLeft(Exception):
    """The client went away; nothing more can be sent to it."""


async def refuse_upgrade(websocket: WebSocket) -> None:
    """HTTP 401 before the WebSocket is accepted, as moshi-server answers a wrong key."""
    try:
        await websocket.send_denial_response(PlainTextResponse("invalid api key", 401))
    except RuntimeError:  # a server without the denial extension can only answer 403
        await websocket.close(code=1008)


class FrameConnection:
    """Starlette's WebSocket seen as the frames-in, frames-out pair a stream needs."""

    def __init__(self, websocket: WebSocket) -> None:
        self._websocket = websocket
        self.left = False

    async def receive(self) -> bytes | str | None:
        """The next frame, or None once the client has left."""
        if self.left:
            return None
        try:
            message = await self._websocket.receive()
        except (WebSocketDisconnect, RuntimeError, OSError):
            message = {"type": "websocket.disconnect"}
        if message["type"] == "websocket.disconnect":
            self.left = True
            return None
        data: bytes | None = message.get("bytes")
        return data if data is not None else str(message.get("text") or "")

    async def send(self, frame: bytes) -> None:
        if self.left:
            raise ClientLeft
        try:
            await self._websocket.send_bytes(frame)
        except (WebSocketDisconnect, RuntimeError, OSError) as error:
            self.left = True
            raise ClientLeft from error

    async def close(self, code: int) -> None:
        try:
            await self._websocket.close(code=code)
        except (WebSocketDisconnect, RuntimeError, OSError):
            self.left = True

    async def send_and_close(self, frame: bytes, code: int = 1000) -> None:
        try:
            await self.send(frame)
            await self.close(code)
        except ClientLeft:
            pass
