"""Hand a finished conversation's memory back when it ends, not dozens of conversations on.

A conversation's objects hold each other: its parts call back into the session, uvicorn's
protocol and transport into each other, httpx's responses into their streams. Reference
counting cannot free such cycles; the collector's full pass does, and in this process that
pass is rare: objects mostly die young, so the generations fill slowly. Left to itself, a
backend kept ~0.3 MiB per finished conversation (an Opus decoder's buffers among them)
for the 30 to 70 conversations between two full passes. With the start-up objects frozen
(`gc.freeze` at app start), a full pass costs 1 to 4 ms at 4 conversations.
"""

from __future__ import annotations

import asyncio
import gc

# Past the end of the conversation's tasks and its socket's close; several ends that come
# within it share one pass.
COLLECT_DELAY_S = 0.5


class CycleCollector:
    """One full collection shortly after conversations end."""

    def __init__(self, delay_s: float = COLLECT_DELAY_S) -> None:
        self._delay_s = delay_s
        self._pending: asyncio.TimerHandle | None = None

    def conversation_ended(self) -> None:
        if self._pending is None:
            loop = asyncio.get_running_loop()
            self._pending = loop.call_later(self._delay_s, self._collect)

    def close(self) -> None:
        if self._pending is not None:
            self._pending.cancel()
            self._pending = None

    def _collect(self) -> None:
        self._pending = None
        gc.collect()
