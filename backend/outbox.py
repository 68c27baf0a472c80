"""A first-in, first-out queue with one reader, for the messages a conversation sends.

Every event to the browser and every frame to a speech server passes through such a
queue, so that a sender task writes them in order while their producers never wait.
`asyncio.Queue` serves any number of readers and writers, bounded or not, and pays about
a dozen Python calls per item for it (a third of the asyncio calls of a conversation);
these queues have one reader each and are bounded by their owners, so an item costs two
calls here. A cancelled `get` loses nothing: items only leave the queue once returned.
"""

from __future__ import annotations

import asyncio
from collections import deque
from typing import Generic, TypeVar

__all__ = ["Outbox"]

T = TypeVar("T")


class Outbox(Generic[T]):
    def __init__(self) -> None:
        self._items: deque[T] = deque()
        self._reader: asyncio.Future[None] | None = None  # set while `get` waits

    def __len__(self) -> int:
        return len(self._items)

    def put_nowait(self, item: T) -> None:
        self._items.append(item)
        reader, self._reader = self._reader, None
        if reader is not None and not reader.done():
            reader.set_result(None)

    async def get(self) -> T:
        """The oldest item, waiting for one if there is none; one reader at a time."""
        while not self._items:
            if self._reader is not None:
                raise RuntimeError("an Outbox has one reader, and it is already waiting")
            self._reader = reader = asyncio.get_running_loop().create_future()
            try:
                await reader
            finally:
                if self._reader is reader:
                    self._reader = None
        return self._items.popleft()
