"""The Piper engine's threads serve the phrase whose listener runs out of audio first."""

from __future__ import annotations

import functools
import threading

import pytest

from embedded.tts.urgency_pool import UrgencyPool

WAIT_S = 10  # generous: only a broken pool takes this long


def busy_pool() -> tuple[UrgencyPool, threading.Event]:
    """A one-worker pool whose worker is held until the event is set."""
    pool = UrgencyPool(1, name="test")
    started, release = threading.Event(), threading.Event()

    def hold() -> None:
        started.set()
        release.wait(WAIT_S)

    pool.submit(hold, deadline=0.0)
    assert started.wait(WAIT_S)
    return pool, release


def test_the_earliest_deadline_runs_first() -> None:
    pool, release = busy_pool()
    ran: list[str] = []
    futures = [
        pool.submit(functools.partial(ran.append, name), deadline)
        for name, deadline in [("late", 30.0), ("urgent", 10.0), ("soon", 20.0), ("tie", 20.0)]
    ]
    release.set()
    for future in futures:
        future.result(WAIT_S)
    assert ran == ["urgent", "soon", "tie", "late"]


def test_a_job_cancelled_while_waiting_never_runs() -> None:
    pool, release = busy_pool()
    ran: list[str] = []
    cancelled = pool.submit(lambda: ran.append("cancelled"), 1.0)
    kept = pool.submit(lambda: ran.append("kept"), 2.0)
    assert cancelled.cancel()
    release.set()
    kept.result(WAIT_S)
    assert ran == ["kept"]


def test_results_and_errors_reach_the_caller() -> None:
    pool = UrgencyPool(2, name="test")
    assert pool.submit(lambda: 6 * 7, 0.0).result(WAIT_S) == 42

    def fail() -> None:
        raise RuntimeError("model failed")

    with pytest.raises(RuntimeError, match="model failed"):
        pool.submit(fail, 0.0).result(WAIT_S)
    assert pool.submit(lambda: "still working", 0.0).result(WAIT_S) == "still working"


def test_a_pool_needs_a_worker() -> None:
    with pytest.raises(ValueError, match="at least one worker"):
        UrgencyPool(0, name="test")
