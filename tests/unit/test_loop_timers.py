"""benchmarks.loop_timers: timers counted by the place that set them, on a real uvloop."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Coroutine
from typing import Any

from benchmarks.loop_timers import TimerCounts, counting_loop, table


async def sleeps_twice() -> None:
    await asyncio.sleep(0.001)
    await asyncio.sleep(0.001)


async def times_out_then_not() -> None:
    try:
        async with asyncio.timeout(0.001):
            await asyncio.sleep(1)
    except TimeoutError:
        pass
    async with asyncio.timeout(1):
        await asyncio.sleep(0)


def run(coroutine_function: Callable[[], Coroutine[Any, Any, None]]) -> TimerCounts:
    counts = TimerCounts()
    with asyncio.Runner(loop_factory=counting_loop(counts)) as runner:
        runner.run(coroutine_function())
    return counts


def test_timers_are_counted_where_they_were_set() -> None:
    counts = run(sleeps_twice)
    sites = {site for site in counts.fired if "sleeps_twice" in site}
    assert len(sites) == 2, counts.fired  # one line each
    assert all(counts.fired[site] == 1 and counts.set[site] == 1 for site in sites)
    assert all(site.startswith("unit/test_loop_timers.py:") for site in sites)


def test_a_timer_cancelled_before_it_fired_is_set_but_not_fired() -> None:
    counts = run(times_out_then_not)
    mine = {site: n for site, n in counts.set.items() if "times_out_then_not" in site}
    fired = {site: n for site, n in counts.fired.items() if "times_out_then_not" in site}
    # The first timeout fired; the sleep(1) under it and the second timeout did not.
    assert sum(mine.values()) == 3
    assert sum(fired.values()) == 1


def test_the_table_lists_the_most_fired_first() -> None:
    text = table(
        {"fired": {"a.py:1 f": 3, "b.py:2 g": 9}, "early": {"b.py:2 g": 2}, "set": {"b.py:2 g": 9}}
    )
    rows = text.splitlines()[2:]
    assert rows[0] == "| 9 | 2 | 9 | `b.py:2 g` |"
    assert rows[1] == "| 3 | 0 | 0 | `a.py:1 f` |"
