"""Letting a conversation's core notice time passing, without a wake-up of its own.

The core needs a `Tick` at least every `period_s` while the user may speak (silence
prompts, idle closes, the flush timeout). A task sleeping `period_s` in a loop costs a
wake-up of the event loop each time, with nothing else to do in it: at four
conversations, one loop iteration in thirteen. Yet the STT answers every 80 ms
while the microphone streams, and its answers wake the loop anyway. So ticks ride on
those (`nudge`), and a timer fires only after `period_s` without one: when the client
sends no audio, or the STT is stalled.

The timer is re-armed at each tick rather than left to fire and find it had nothing to
do, so while the STT answers it never fires at all.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable

__all__ = ["Ticker"]


class Ticker:
    """Calls `tick(now)` at most every `period_s / 2` when nudged, and after `period_s`
    without a tick from its own timer, while `run` runs and the ticker is not paused."""

    def __init__(self, period_s: float, tick: Callable[[float], None]) -> None:
        if period_s <= 0:
            raise ValueError("period_s must be positive")
        self._period_s = period_s
        self._tick = tick
        self._last_tick_at = time.monotonic()
        self._paused = False
        self._timer: asyncio.TimerHandle | None = None
        self._timer_fired: asyncio.Future[None] | None = None  # set while `run` waits

    @property
    def paused(self) -> bool:
        return self._paused

    async def run(self) -> None:
        """Tick from the timer until cancelled; what `tick` raises ends it."""
        loop = asyncio.get_running_loop()
        try:
            while True:
                self._timer_fired = loop.create_future()
                self._arm()
                await self._timer_fired
                self._ticked(time.monotonic())
        finally:
            self._timer_fired = None
            self._disarm()

    def nudge(self, now: float) -> None:
        """The loop is awake anyway (an STT answer): tick now if half a period passed.
        What `tick` raises reaches the caller."""
        if not self._paused and now - self._last_tick_at >= self._period_s / 2:
            self._ticked(now)
            self._arm()

    def pause(self) -> None:
        """No ticks until `resume`: time changes nothing for the core for now."""
        self._paused = True
        self._disarm()

    def resume(self) -> None:
        """Tick again, the first time a period from now."""
        self._paused = False
        self._last_tick_at = time.monotonic()
        self._arm()

    def _ticked(self, now: float) -> None:
        self._last_tick_at = now
        self._tick(now)

    def _arm(self) -> None:
        """The timer at a period after the last tick (unless paused or not running)."""
        self._disarm()
        if self._paused or self._timer_fired is None or self._timer_fired.done():
            return
        delay = max(0.0, self._last_tick_at + self._period_s - time.monotonic())
        self._timer = asyncio.get_running_loop().call_later(delay, self._on_timer)

    def _disarm(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None

    def _on_timer(self) -> None:
        self._timer = None
        fired = self._timer_fired
        if fired is not None and not fired.done():
            fired.set_result(None)
