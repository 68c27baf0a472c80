"""The short-lived view of full and down speech nodes."""

from __future__ import annotations

from backend.clients.instances import InstanceOutcome
from backend.clients.node_view import DOWN_MEMORY_S, FULL_MEMORY_S, RecentNodeView
from backend.metrics import BackendMetrics


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def test_nodes_without_bad_news_come_first_then_full_then_down() -> None:
    clock = Clock()
    view = RecentNodeView("stt", BackendMetrics(), clock)
    view.record("a", InstanceOutcome.DOWN)
    view.record("b", InstanceOutcome.BUSY)
    assert view.order(["a", "b", "c", "d"]) == ["c", "d", "b", "a"]


def test_nothing_is_ever_skipped() -> None:
    view = RecentNodeView("stt", BackendMetrics(), Clock())
    for node in "abc":
        view.record(node, InstanceOutcome.BUSY)
    assert sorted(view.order(["a", "b", "c"])) == ["a", "b", "c"]


def test_bad_news_is_forgotten() -> None:
    clock = Clock()
    view = RecentNodeView("tts", BackendMetrics(), clock)
    view.record("full", InstanceOutcome.BUSY)
    view.record("dead", InstanceOutcome.DOWN)
    clock.now += FULL_MEMORY_S
    assert view.order(["dead", "full", "x"]) == ["full", "x", "dead"]
    clock.now += DOWN_MEMORY_S
    assert view.order(["dead", "full", "x"]) == ["dead", "full", "x"]


def test_a_free_answer_clears_the_record() -> None:
    view = RecentNodeView("stt", BackendMetrics(), Clock())
    view.record("a", InstanceOutcome.BUSY)
    view.record("a", InstanceOutcome.FREE)
    assert view.order(["a", "b"]) == ["a", "b"]


def test_a_normal_close_is_no_news() -> None:
    view = RecentNodeView("stt", BackendMetrics(), Clock())
    view.record("a", InstanceOutcome.ENDED)
    assert view.order(["a", "b"]) == ["a", "b"], "a node that ended a stream stays first"
    view.record("b", InstanceOutcome.BUSY)
    view.record("b", InstanceOutcome.ENDED)
    assert view.order(["b", "c"]) == ["c", "b"], "nor does it clear what was known"


def test_misses_are_counted_on_the_views_own_metrics() -> None:
    metrics = BackendMetrics()
    view = RecentNodeView("tts", metrics, Clock())
    view.record("a", InstanceOutcome.BUSY)
    view.record("a", InstanceOutcome.DOWN)
    view.record("b", InstanceOutcome.DOWN)
    view.record("c", InstanceOutcome.ENDED)
    view.record("c", InstanceOutcome.FREE)

    def misses(reason: str) -> float | None:
        labels = {"service": "tts", "reason": reason}
        return metrics.registry.get_sample_value("unmute_service_misses_total", labels)

    assert (misses("busy"), misses("down")) == (1.0, 2.0)
    assert misses("ended") is None and misses("free") is None, "no news is no miss"
