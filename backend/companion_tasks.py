"""A speech stream's receive loop with the tasks that serve it (a sender, a stall watch).

`asyncio.TaskGroup` would do but for a flaw of Python 3.11: when a child fails while the
task running the group is being cancelled, the group raises the child's error and the
cancellation is lost (3.13 cancels the task again). A stream loop that answers that error
by opening another stream then outlives its conversation: a session whose browser had
left kept its seat and its STT slot for good. Here the caller's cancellation always wins.
"""

from __future__ import annotations

import asyncio
from collections.abc import Coroutine
from typing import Any


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
