"""A speech client's connection whose server is a list of frames: no socket, no timing."""

from __future__ import annotations

import asyncio
from collections.abc import Iterable

from websockets.exceptions import ConnectionClosedOK
from websockets.frames import Close
from websockets.protocol import State


class _ScriptedProtocol:
    """The connection's sans-I/O side as `SpeechSocket` writes through it."""

    def __init__(self, sent: asyncio.Queue[bytes]) -> None:
        self.state = State.OPEN
        self._sent = sent

    def send_binary(self, frame: bytes) -> None:
        self._sent.put_nowait(frame)

    def data_to_send(self) -> list[bytes]:
        return []  # the frame was kept whole in `sent`: nothing goes to a socket


class _ScriptedTransport:
    def get_write_buffer_size(self) -> int:
        return 0

    def write(self, data: bytes) -> None:
        raise AssertionError("a scripted connection has no socket")


class ScriptedWebSocket:
    """The server sends `frames`, then closes normally; what the client sends is kept."""

    def __init__(self, frames: Iterable[bytes | str] = ()) -> None:
        self._frames = list(frames)
        self.sent: asyncio.Queue[bytes] = asyncio.Queue()
        self.protocol = _ScriptedProtocol(self.sent)
        self.transport = _ScriptedTransport()

    async def recv(self) -> bytes | str:
        if not self._frames:
            raise ConnectionClosedOK(Close(1000, ""), Close(1000, ""), rcvd_then_sent=True)
        return self._frames.pop(0)

    async def close(self) -> None:
        pass
