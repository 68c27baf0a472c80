"""A short-lived view of which speech nodes were just full or down.

With many capacity-limited nodes and few free slots, asking nodes in random order again
and again wastes the search on nodes that just said "no free channels". This view tries
nodes with no recent bad news first (in the given, shuffled order), then the ones that
were full a moment ago, then the ones that were down; nothing is ever skipped, so a free
slot anywhere is found within the search deadline.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence

from backend.clients.instances import InstanceOutcome
from backend.metrics import BackendMetrics

FULL_MEMORY_S = 2.0  # slots free up as conversations end: a full node is worth asking again soon
DOWN_MEMORY_S = 10.0  # a crashed node takes longer to come back than a full one to free up


class RecentNodeView:
    """An `InstanceChooser` that remembers bad news for a few seconds."""

    def __init__(
        self, service: str, metrics: BackendMetrics, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self._service = service
        self._misses = metrics.service_misses
        self._clock = clock
        self._bad_news: dict[str, tuple[InstanceOutcome, float]] = {}

    def order(self, instances: Sequence[str]) -> list[str]:
        now = self._clock()
        fresh: list[str] = []
        full: list[str] = []
        down: list[str] = []
        for instance in instances:
            news = self._bad_news.get(instance)
            if news is None:
                fresh.append(instance)
                continue
            outcome, at = news
            memory = FULL_MEMORY_S if outcome is InstanceOutcome.BUSY else DOWN_MEMORY_S
            if now - at >= memory:
                del self._bad_news[instance]
                fresh.append(instance)
            elif outcome is InstanceOutcome.BUSY:
                full.append(instance)
            else:
                down.append(instance)
        return fresh + full + down

    def record(self, instance: str, outcome: InstanceOutcome) -> None:
        if outcome is InstanceOutcome.ENDED:
            return  # a normal close is no news about the node
        if outcome is InstanceOutcome.FREE:
            self._bad_news.pop(instance, None)
            return
        self._misses.labels(self._service, outcome.value).inc()
        self._bad_news[instance] = (outcome, self._clock())
