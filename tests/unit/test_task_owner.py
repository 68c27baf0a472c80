"""A task owner keeps every task it started until it ends, and closes them all."""

from __future__ import annotations

import asyncio
import contextvars

from backend.companion_tasks import TaskOwner

turn: contextvars.ContextVar[int] = contextvars.ContextVar("turn", default=0)


async def test_a_task_is_owned_until_it_ends() -> None:
    owner = TaskOwner()
    release = asyncio.Event()
    task = owner.spawn(release.wait(), name="waiter")
    assert len(owner) == 1 and task.get_name() == "waiter"
    release.set()
    await owner.wait()
    assert len(owner) == 0 and task.done()


async def test_closing_the_owner_cancels_and_awaits_every_task() -> None:
    owner = TaskOwner()
    cleaned_up: list[int] = []

    async def hold(index: int) -> None:
        try:
            await asyncio.Event().wait()
        finally:
            await asyncio.sleep(0)  # a cleanup that itself awaits is waited for
            cleaned_up.append(index)

    tasks = [owner.spawn(hold(index)) for index in range(3)]
    await asyncio.sleep(0)
    await owner.aclose()
    assert all(task.cancelled() for task in tasks)
    assert sorted(cleaned_up) == [0, 1, 2]
    assert len(owner) == 0


async def test_waiting_covers_tasks_started_while_waiting() -> None:
    owner = TaskOwner()
    finished: list[str] = []

    async def second() -> None:
        await asyncio.sleep(0)
        finished.append("second")

    async def first() -> None:
        owner.spawn(second())
        finished.append("first")

    owner.spawn(first())
    await owner.wait()
    assert finished == ["first", "second"]


async def test_a_task_runs_in_the_context_it_was_given() -> None:
    owner = TaskOwner()
    context = contextvars.copy_context()
    context.run(turn.set, 7)

    async def read() -> int:
        return turn.get()

    assert await owner.spawn(read(), context=context) == 7
