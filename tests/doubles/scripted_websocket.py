"""A speech client's connection (`SpeechConnection`) whose server is a list of frames: no
socket, no timing."""

from __future__ import annotations

import asyncio
from collections.abc import Iterable

from backend.clients.speech_connection import SpeechConnectionClosed


class ScriptedWebSocket:
    """The server sends `frames`, then closes normally; what the client sends is kept."""

    def __init__(self, frames: Iterable[bytes | str] = ()) -> None:
        self._frames = list(frames)
        self.sent: asyncio.Queue[bytes] = asyncio.Queue()
        self.unsent_bytes = 0

    async def next_message(self) -> bytes | str:
        if not self._frames:
            raise SpeechConnectionClosed("closed by the server (1000)", normal=True)
        return self._frames.pop(0)

    def send(self, frame: bytes) -> None:
        self.sent.put_nowait(frame)

    async def close(self, timeout_s: float) -> None:
        pass
