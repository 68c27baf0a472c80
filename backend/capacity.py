"""Seats: at most `max_sessions` conversations per process, and never a client left hanging.

A client beyond capacity may wait briefly for a seat (bounded), then is refused with a 503
and `Retry-After`. Readiness (`/v1/ready`) turns false when full or draining, so a proxy
stops sending new sessions here.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from backend.metrics import BackendMetrics


class NoSeat(Exception):
    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class Seats:
    def __init__(self, capacity: int, wait_s: float, metrics: BackendMetrics) -> None:
        self.capacity = capacity
        self.wait_s = wait_s
        self.in_use = 0
        self.draining = False
        self._free = asyncio.Semaphore(capacity)
        self._empty = asyncio.Event()
        self._empty.set()
        self._active = metrics.sessions_active
        metrics.session_capacity.set(capacity)

    @property
    def ready(self) -> bool:
        return not self.draining and self.in_use < self.capacity

    @asynccontextmanager
    async def seat(self) -> AsyncIterator[None]:
        """Hold a seat for the duration of the block; raises `NoSeat` when none comes."""
        if self.draining:
            raise NoSeat("draining")
        try:
            async with asyncio.timeout(self.wait_s):
                await self._free.acquire()
        except TimeoutError:
            raise NoSeat("full") from None
        if self.draining:
            self._free.release()
            raise NoSeat("draining")
        self.in_use += 1
        self._empty.clear()
        self._active.set(self.in_use)
        try:
            yield
        finally:
            # Synchronous on purpose: a cancelled session must still give its seat back.
            self.in_use -= 1
            if self.in_use == 0:
                self._empty.set()
            self._free.release()
            self._active.set(self.in_use)

    def start_draining(self) -> None:
        self.draining = True

    async def wait_empty(self, timeout_s: float) -> bool:
        """True once no seat is taken; False if some still are after `timeout_s`."""
        try:
            async with asyncio.timeout(timeout_s):
                await self._empty.wait()
        except TimeoutError:
            return False
        return True
