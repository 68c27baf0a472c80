"""Worker threads that run the most urgent job first.

Streams share the Piper engine's few threads. First come, first served would make one
reply's first phrase wait behind other replies' long phrases that nobody will hear for
seconds. Instead each job carries the moment its listener runs out of audio, and the
earliest goes first (earliest deadline first). A running job is never interrupted; a
job cancelled while it waits is dropped.
"""

from __future__ import annotations

import heapq
import itertools
import threading
from collections.abc import Callable
from concurrent.futures import Future
from typing import Any, TypeVar

T = TypeVar("T")

_Job = tuple[float, int, Callable[[], Any], "Future[Any]"]


class UrgencyPool:
    def __init__(self, workers: int, name: str) -> None:
        if workers < 1:
            raise ValueError("a pool needs at least one worker")
        self._jobs: list[_Job] = []
        self._arrived = threading.Condition()
        self._order = itertools.count()  # equal deadlines: first come, first served
        for index in range(workers):
            # Daemons: an idle worker must not keep the process alive at exit.
            threading.Thread(target=self._work, name=f"{name}-{index}", daemon=True).start()

    def submit(self, work: Callable[[], T], deadline: float) -> Future[T]:
        """Run `work` on a worker, before every job with a later deadline."""
        future: Future[T] = Future()
        with self._arrived:
            heapq.heappush(self._jobs, (deadline, next(self._order), work, future))
            self._arrived.notify()
        return future

    def _work(self) -> None:
        while True:
            with self._arrived:
                while not self._jobs:
                    self._arrived.wait()
                _, _, work, future = heapq.heappop(self._jobs)
            if not future.set_running_or_notify_cancel():
                continue
            try:
                result = work()
            except BaseException as error:  # handed to whoever waits on the future
                future.set_exception(error)
            else:
                future.set_result(result)
