"""`unmute-ops health` judging the probe's answers: up, down, full, and Traefik's routing."""

from __future__ import annotations

import json

from ops.swarm.components import READY_PATH, TRAEFIK_ROUTER_API
from ops.swarm.health import classify, probe_targets
from ops.swarm.probe import ProbeAnswer

HEALTHY = {"stt_up": True, "tts_up": True, "llm_up": True, "voice_cloning_up": False, "ok": True}


def answer(service: str, path: str | None, status: int | None, body: object = "") -> ProbeAnswer:
    text = body if isinstance(body, str) else json.dumps(body)
    address = None if path is None else "10.0.0.9"
    return ProbeAnswer(service, address, path, status, text, None if status else "refused")


def test_targets_cover_the_services_present_with_readiness_and_routing() -> None:
    targets = {t.service: t for t in probe_targets(["backend", "traefik", "stt"])}
    assert set(targets) == {"backend", "traefik", "stt"}
    assert targets["backend"].paths == ("/v1/health", READY_PATH)
    assert targets["traefik"].paths == ("/ping", TRAEFIK_ROUTER_API)


def test_a_full_backend_is_up_and_says_so() -> None:
    checks = classify(
        [answer("backend", "/v1/health", 200, HEALTHY), answer("backend", READY_PATH, 503)]
    )
    assert [(c.ok, c.detail) for c in checks] == [(True, "full or draining")]


def test_a_backend_that_cannot_reach_its_dependencies_is_down() -> None:
    broken = {**HEALTHY, "stt_up": False, "ok": False}
    checks = classify(
        [answer("backend", "/v1/health", 200, broken), answer("backend", READY_PATH, 200)]
    )
    assert not checks[0].ok and "stt" in checks[0].detail


def test_no_task_or_no_answer_is_down_and_an_llm_asking_for_its_key_is_up() -> None:
    checks = classify(
        [
            answer("voice-cloning", None, None),
            answer("stt", "/api/build_info", None),
            answer("llm", "/v1/models", 401),
        ]
    )
    by_service = {c.component: c for c in checks}
    assert by_service["voice-cloning"].detail == "no running task"
    assert not by_service["voice-cloning"].ok and not by_service["stt"].ok
    assert by_service["llm"].ok


def test_traefik_routing_counts_servers_in_rotation() -> None:
    services = [
        {"name": "api@swarm", "serverStatus": {"http://a:8000": "UP", "http://b:8000": "DOWN"}},
        {"name": "site@swarm", "serverStatus": {"http://c:8080": "UP"}},
    ]
    checks = classify(
        [
            answer("traefik", "/ping", 200, "OK"),
            answer("traefik", TRAEFIK_ROUTER_API, 200, services),
        ]
    )
    routing = next(c for c in checks if c.component == "traefik routing")
    assert routing.ok and routing.detail == "api: 1/2 servers up; site: 1/1 servers up"


def test_a_missing_route_is_down() -> None:
    checks = classify(
        [answer("traefik", "/ping", 200, "OK"), answer("traefik", TRAEFIK_ROUTER_API, 200, [])]
    )
    routing = next(c for c in checks if c.component == "traefik routing")
    assert not routing.ok and "api: no route" in routing.detail
