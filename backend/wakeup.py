"""One task that waits to be woken by callbacks, as cheaply as asyncio allows.

`asyncio.Event` keeps a set of waiters and must be cleared after each wake-up; a queue or
a connection read by one task needs only a future made when that task waits and resolved
by the next `wake`. `Outbox` and `SpeechConnection` wait this way.
"""

from __future__ import annotations

import asyncio

__all__ = ["Wakeup"]


class Wakeup:
    """Wakes its one waiter at `wake`; a `wake` while none waits is forgotten."""

    __slots__ = ("_owner", "_waiter")

    def __init__(self, owner: str) -> None:
        self._owner = owner  # named in the error for a second waiter
        self._waiter: asyncio.Future[None] | None = None

    @property
    def has_waiter(self) -> bool:
        """A task is in `wait` (woken or cancelled perhaps, but not resumed yet)."""
        return self._waiter is not None

    @property
    def waiting(self) -> bool:
        """A task is in `wait`, not woken and not cancelled."""
        waiter = self._waiter
        return waiter is not None and not waiter.done()

    async def wait(self) -> None:
        """Until the next `wake`; one task at a time."""
        if self._waiter is not None:
            raise RuntimeError(f"{self._owner} has one reader, and it is already waiting")
        self._waiter = waiter = asyncio.get_running_loop().create_future()
        try:
            await waiter
        finally:
            if self._waiter is waiter:
                self._waiter = None

    def wake(self) -> None:
        waiter, self._waiter = self._waiter, None
        if waiter is not None and not waiter.done():
            waiter.set_result(None)
