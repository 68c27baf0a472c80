"""Waiting for an input or a time, whichever comes first, for a task whose usual wake-up is
the time: a reply's player, which releases the bot's audio on its own clock.

`asyncio.timeout` around `Event.wait` does this, but each time it fires it cancels the
task and turns the `CancelledError` into a `TimeoutError` for the caller to catch: two
exceptions and a cancellation for what is the player's ordinary wake-up, a dozen times a
second while the bot speaks. Here one future is resolved by whichever comes first.
"""

from __future__ import annotations

import asyncio

__all__ = ["Alarm"]


class Alarm:
    """Wakes its one waiter at `set` or once `timeout_s` has passed."""

    def __init__(self) -> None:
        self._waiter: asyncio.Future[bool] | None = None

    def set(self) -> None:
        """Wake the waiter now; nothing happens when none waits (as after `Event.clear`,
        a set before the wait is forgotten)."""
        waiter = self._waiter
        if waiter is not None and not waiter.done():
            waiter.set_result(False)

    async def wait(self, timeout_s: float | None) -> bool:
        """Until `set` or `timeout_s` (None: no time limit); True when the time came."""
        if self._waiter is not None:
            raise RuntimeError("an Alarm has one waiter, and it is already waiting")
        loop = asyncio.get_running_loop()
        waiter: asyncio.Future[bool] = loop.create_future()
        self._waiter = waiter
        timer = None if timeout_s is None else loop.call_later(timeout_s, _ring, waiter)
        try:
            return await waiter
        finally:
            self._waiter = None
            if timer is not None:
                timer.cancel()


def _ring(waiter: asyncio.Future[bool]) -> None:
    if not waiter.done():
        waiter.set_result(True)
