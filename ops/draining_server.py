"""uvicorn with a graceful drain: the first SIGTERM (or Ctrl-C) runs `drain()` while the
server keeps serving (so it can answer "not ready" and "no free channels"), then stops.
A second signal stops at once.

uvicorn's own main loop wakes ten times a second to see whether it should stop, whatever
the load: most of an idle server's wake-ups, one loop iteration in forty of a backend
holding four conversations. Here it wakes once a second (the `date` header's resolution),
and setting `should_exit` wakes it at once."""

from __future__ import annotations

import asyncio
import contextlib
import socket
from collections.abc import Awaitable, Callable
from types import FrameType

import uvicorn

HOUSEKEEPING_S = 1.0  # uvicorn refreshes its `date` header once a second


class DrainingServer(uvicorn.Server):
    def __init__(self, config: uvicorn.Config, drain: Callable[[], Awaitable[None]]) -> None:
        self._loop: asyncio.AbstractEventLoop | None = None
        self._exit_wanted: asyncio.Event | None = None
        super().__init__(config)
        self._drain = drain
        self._draining = False
        self._drain_task: asyncio.Future[None] | None = None

    @property  # uvicorn's is a plain attribute: this wakes the main loop when set
    def should_exit(self) -> bool:
        return self._should_exit

    @should_exit.setter
    def should_exit(self, value: bool) -> None:
        self._should_exit = value
        # Set by a signal handler or another thread, too: wake the main loop on its own.
        if value and self._loop is not None and self._exit_wanted is not None:
            with contextlib.suppress(RuntimeError):  # the loop is already closed
                self._loop.call_soon_threadsafe(self._exit_wanted.set)

    async def startup(self, sockets: list[socket.socket] | None = None) -> None:
        self._loop = asyncio.get_running_loop()
        await super().startup(sockets)

    async def main_loop(self) -> None:
        self._exit_wanted = asyncio.Event()
        while not await self.on_tick(0):  # tick 0: uvicorn's once-a-second housekeeping
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(HOUSEKEEPING_S):
                    await self._exit_wanted.wait()

    def handle_exit(self, sig: int, frame: FrameType | None) -> None:
        if self._draining or self._loop is None:
            super().handle_exit(sig, frame)
            return
        self._draining = True  # signal handlers run between bytecodes: hop onto the loop
        self._loop.call_soon_threadsafe(self._start_drain, sig, frame)

    def _start_drain(self, sig: int, frame: FrameType | None) -> None:
        self._drain_task = asyncio.ensure_future(self._drain_then_exit(sig, frame))

    async def _drain_then_exit(self, sig: int, frame: FrameType | None) -> None:
        try:
            await self._drain()
        finally:
            super().handle_exit(sig, frame)
