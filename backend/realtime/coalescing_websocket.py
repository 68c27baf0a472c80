"""The browser's WebSocket as uvicorn serves it, with every frame written in one turn of the
event loop sent to the socket in ONE system call.

A pacer wake-up can release an audio delta and a word's two text events at once, and each
ASGI `send` makes uvicorn write its frame to the socket at once: three `write` calls where
one would do. Here the frames are held until the loop has run what was ready, then written
together: a quarter fewer writes to the browser on a whole conversation, hence fewer TCP
segments on the network. The CPU this saves is too small to measure (docs/benchmarks.md).
Every event stays its own WebSocket message, byte for byte and in order; only the TCP
segments that carry them change.
"""

from __future__ import annotations

import asyncio
from typing import Any, cast

from uvicorn.protocols.websockets.websockets_sansio_impl import WebSocketsSansIOProtocol

__all__ = ["CoalescingTransport", "CoalescingWebSocketProtocol"]


class CoalescingTransport(asyncio.Transport):
    """A transport whose writes within one loop iteration reach the socket as one write.

    It wraps the connection's real transport and forwards everything else to it. A close
    writes what is held first; an abort drops it, as the real transport drops its buffer.
    """

    def __init__(self, transport: asyncio.Transport, loop: asyncio.AbstractEventLoop) -> None:
        super().__init__()
        self._transport = transport
        self._loop = loop
        self._held: list[bytes] = []
        self._held_bytes = 0

    def write(self, data: bytes | bytearray | memoryview) -> None:
        if not data:
            return
        if not self._held:
            self._loop.call_soon(self.flush)
        self._held.append(bytes(data))
        self._held_bytes += len(data)

    def writelines(self, list_of_data: Any) -> None:
        for data in list_of_data:
            self.write(data)

    def flush(self) -> None:
        """Write what is held now (the loop calls this once per iteration with writes)."""
        if not self._held:
            return
        held = self._held
        self._held, self._held_bytes = [], 0
        if self._transport.is_closing():
            return  # the connection is gone: nobody will read these frames
        self._transport.write(held[0] if len(held) == 1 else b"".join(held))

    def close(self) -> None:
        self.flush()
        self._transport.close()

    def abort(self) -> None:
        self._held, self._held_bytes = [], 0
        self._transport.abort()

    def is_closing(self) -> bool:
        return self._transport.is_closing()

    def get_extra_info(self, name: str, default: Any = None) -> Any:
        return self._transport.get_extra_info(name, default)

    def get_write_buffer_size(self) -> int:
        return self._transport.get_write_buffer_size() + self._held_bytes

    def get_write_buffer_limits(self) -> tuple[int, int]:
        return self._transport.get_write_buffer_limits()

    def set_write_buffer_limits(self, high: int | None = None, low: int | None = None) -> None:
        self._transport.set_write_buffer_limits(high, low)

    def can_write_eof(self) -> bool:
        return self._transport.can_write_eof()

    def write_eof(self) -> None:
        self.flush()
        self._transport.write_eof()

    def is_reading(self) -> bool:
        return self._transport.is_reading()

    def pause_reading(self) -> None:
        self._transport.pause_reading()

    def resume_reading(self) -> None:
        self._transport.resume_reading()

    def set_protocol(self, protocol: asyncio.BaseProtocol) -> None:
        self._transport.set_protocol(protocol)

    def get_protocol(self) -> asyncio.BaseProtocol:
        return self._transport.get_protocol()


class CoalescingWebSocketProtocol(WebSocketsSansIOProtocol):
    """uvicorn's websockets (sans-I/O) protocol, writing through a `CoalescingTransport`.

    Pass it as uvicorn's `ws` setting. The real transport keeps calling this protocol
    (data received, flow control, connection lost); only writes take the detour.
    """

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        # uvloop's transports do not derive from `asyncio.Transport`, but behave as one.
        real = cast(asyncio.Transport, transport)
        super().connection_made(CoalescingTransport(real, asyncio.get_running_loop()))
