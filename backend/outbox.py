"""What a conversation sends its client, in order, while its producers never wait.

`Outbox` is a first-in, first-out queue with one reader: `asyncio.Queue` serves any
number of readers and writers, bounded or not, and pays about a dozen Python calls per
item for it; this one costs two. A cancelled `get` loses nothing: items only leave the
queue once returned.

`ClientOutbox` writes an item at once when it can (most events, while the client keeps
up), and otherwise queues it for the one sender task, which writes it the slow way
(waiting for the socket to drain). Nothing overtakes an item that is queued or held by
the sender, so the client sees the order the items were put in.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable
from typing import Generic, TypeVar

from backend.wakeup import Wakeup

__all__ = ["ClientOutbox", "Outbox"]

T = TypeVar("T")


class Outbox(Generic[T]):
    def __init__(self) -> None:
        self._items: deque[T] = deque()
        self._wakeup = Wakeup("an Outbox")

    def __len__(self) -> int:
        return len(self._items)

    def put_nowait(self, item: T) -> None:
        self._items.append(item)
        self._wakeup.wake()

    async def get(self) -> T:
        """The oldest item, waiting for one if there is none; one reader at a time."""
        while not self._items:
            await self._wakeup.wait()
        return self._items.popleft()


class ClientOutbox(Generic[T]):
    """Items for one client: written now by `write_now` while nothing waits before them,
    else queued for the sender task (`take`, then `written` once it is out).

    `write_now` returns False, having written nothing, when the item must wait: then it
    and every item after it queue until the sender has caught up.
    """

    def __init__(self, write_now: Callable[[T], bool] | None = None) -> None:
        self._queue: Outbox[T] = Outbox()
        self._write_now = write_now
        self._held = False  # the sender took an item it has not written, or it stopped

    def __len__(self) -> int:
        """Items queued (not those written at once)."""
        return len(self._queue)

    def put(self, item: T) -> None:
        """Write `item` now if nothing waits before it and `write_now` takes it; else queue."""
        write_now = self._write_now
        if write_now is not None and not self._held and not self._queue and write_now(item):
            return
        self._queue.put_nowait(item)

    def put_queued(self, item: T) -> None:
        """Queue `item` for the sender whatever the state (a close, which it carries out)."""
        self._queue.put_nowait(item)

    async def take(self) -> T:
        """The sender's next item. Nothing is written past it until `written` is called,
        and never again if the sender stops without calling it."""
        item = await self._queue.get()
        self._held = True
        return item

    def written(self) -> None:
        """The item from `take` is out: items may be written at once again."""
        self._held = False
