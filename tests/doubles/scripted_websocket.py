"""A speech client's connection (`SpeechConnection`) whose server is a list of frames: no
socket, no timing."""

from __future__ import annotations

import asyncio
from collections.abc import Iterable

from websockets.exceptions import ConnectionClosedOK
from websockets.frames import Close


class ScriptedWebSocket:
    """The server sends `frames`, then closes normally; what the client sends is kept."""

    def __init__(self, frames: Iterable[bytes | str] = ()) -> None:
        self._frames = list(frames)
        self.sent: asyncio.Queue[bytes] = asyncio.Queue()

    async def next_message(self) -> bytes | str:
        if not self._frames:
            raise ConnectionClosedOK(Close(1000, ""), Close(1000, ""), rcvd_then_sent=True)
        return self._frames.pop(0)

    async def send(self, frame: bytes) -> None:
        await self.sent.put(frame)

    async def close(self) -> None:
        pass
