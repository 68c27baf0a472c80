"""Capacity in use, read from real Prometheus pages as the servers render them."""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Gauge, generate_latest

from ops.swarm.capacity import summarise, task_load
from ops.swarm.probe import ProbeAnswer


def backend_page(active: int, capacity: int, total: int) -> str:
    registry = CollectorRegistry()
    Gauge("unmute_sessions_active", "", registry=registry).set(active)
    Gauge("unmute_sessions_capacity", "", registry=registry).set(capacity)
    Counter("unmute_sessions", "", registry=registry).inc(total)
    Counter("unmute_sessions_refused", "", ["reason"], registry=registry).labels("full").inc()
    return generate_latest(registry).decode()


def speech_page(service: str, in_use: int, slots: int) -> str:
    registry = CollectorRegistry()
    Gauge(f"unmute_{service}_slots_in_use", "", registry=registry).set(in_use)
    Gauge(f"unmute_{service}_slots", "", registry=registry).set(slots)
    return generate_latest(registry).decode()


def answer(service: str, address: str | None, body: str, status: int | None = 200) -> ProbeAnswer:
    return ProbeAnswer(service, address, "/metrics", status, body, None)


def test_a_backend_reports_sessions_in_use_capacity_and_total() -> None:
    load = task_load(answer("backend", "10.0.0.5", backend_page(3, 4, 17)))
    assert load is not None
    assert (load.in_use, load.capacity, load.accepted_total) == (3, 4, 17)


def test_a_speech_server_reports_its_slots() -> None:
    load = task_load(answer("stt", "10.0.0.7", speech_page("stt", 2, 8)))
    assert load is not None and (load.in_use, load.capacity) == (2, 8)


def test_servers_without_those_metrics_or_answers_are_not_counted() -> None:
    assert task_load(answer("tts", "10.0.0.8", "# moshi-server\nsomething_else 1\n")) is None
    assert task_load(answer("backend", "10.0.0.5", "", status=None)) is None
    assert task_load(answer("backend", None, "")) is None
    assert task_load(answer("backend", "10.0.0.5", "not { prometheus")) is None


def test_service_totals_and_utilisation() -> None:
    answers = [
        answer("backend", "10.0.0.5", backend_page(4, 4, 9)),
        answer("backend", "10.0.0.6", backend_page(2, 4, 5)),
        answer("stt", "10.0.0.7", speech_page("stt", 1, 4)),
    ]
    loads = summarise(answers, ["backend", "stt", "tts"])
    assert (loads["backend"].in_use, loads["backend"].capacity) == (6, 8)
    assert loads["backend"].utilisation == 0.75
    assert loads["stt"].utilisation == 0.25
    assert loads["tts"].tasks == () and loads["tts"].utilisation is None
