"""A speech stream's receive loop with the tasks that serve it, and owners for other tasks.

`asyncio.TaskGroup` would do but for a flaw of Python 3.11: when a child fails while the
task running the group is being cancelled, the group raises the child's error and the
cancellation is lost (3.13 cancels the task again). A stream loop that answers that error
by opening another stream then outlives its conversation: a session whose browser had
left kept its seat and its STT slot for good. Here the caller's cancellation always wins.

The rule: no task without an owner. A task lives either inside `run_with_companions`
(ended before it returns) or in a `TaskOwner` (a session's replies, a link's closing
streams), which references it until it ends and cancels and awaits it on `aclose`.
"""

from __future__ import annotations

import asyncio
import contextvars
from collections.abc import Coroutine
from typing import Any, TypeVar

T = TypeVar("T")


async def run_with_companions(
    main: Coroutine[Any, Any, None], *companions: Coroutine[Any, Any, None]
) -> None:
    """Run `main` to its end with `companions` beside it.

    The first error of any of them ends them all and is raised; a companion that returns
    just stops; those still running when `main` returns are cancelled. Cancelling the
    caller cancels them all and always raises `CancelledError`.
    """
    main_task = asyncio.ensure_future(main)
    tasks = [main_task, *(asyncio.ensure_future(companion) for companion in companions)]
    try:
        pending: set[asyncio.Future[None]] = set(tasks)
        while main_task in pending:
            done, pending = await asyncio.wait(pending, return_when=asyncio.FIRST_COMPLETED)
            for task in done:
                if not task.cancelled() and (error := task.exception()) is not None:
                    raise error
    finally:
        for task in tasks:
            task.cancel()
        await asyncio.wait(tasks)
        for task in tasks:  # a second failure is not news: don't let asyncio log it
            if not task.cancelled():
                task.exception()


class TaskOwner:
    """The tasks one owner (a session, a link) started and must not lose.

    Each task is referenced here until it ends, so none is garbage-collected mid-flight
    or forgotten at shutdown; `aclose` cancels and awaits those still running.
    """

    def __init__(self) -> None:
        self._tasks: set[asyncio.Task[Any]] = set()

    def spawn(
        self,
        coroutine: Coroutine[Any, Any, T],
        *,
        name: str | None = None,
        context: contextvars.Context | None = None,
    ) -> asyncio.Task[T]:
        task = asyncio.get_running_loop().create_task(coroutine, name=name, context=context)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        return task

    def __len__(self) -> int:
        return len(self._tasks)

    async def wait(self) -> None:
        """Until every task started so far has ended; their errors are theirs to report."""
        while self._tasks:
            await asyncio.wait(set(self._tasks))

    async def aclose(self) -> None:
        """Cancel every task still running and wait until they have all ended."""
        for task in self._tasks:
            task.cancel()
        await self.wait()
