"""What each service of the stack is, and how to ask one of its tasks whether it is well.

Ports and paths are the ones the stack files give them; a service absent from a deployment
(no monitoring, an external LLM) is simply not asked."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Component:
    service: str
    port: int
    health_path: str
    # Answers that mean "up": the LLM answers 401 without its key, and that still proves it
    # serves; a backend's /v1/health is 200 even when a dependency is down (see `detail`).
    up_statuses: frozenset[int] = frozenset({200})
    metrics_path: str | None = "/metrics"


COMPONENTS: tuple[Component, ...] = (
    Component("traefik", 8082, "/ping"),
    Component("frontend", 8080, "/", metrics_path=None),
    Component("backend", 8000, "/v1/health"),
    Component("stt", 8080, "/api/build_info"),
    Component("tts", 8080, "/api/build_info"),
    Component("voice-cloning", 8080, "/api/build_info"),
    Component("llm", 8000, "/v1/models", up_statuses=frozenset({200, 401})),
    Component("prometheus", 9090, "/-/ready"),
    Component("grafana", 3000, "/api/health"),
)
BY_SERVICE = {component.service: component for component in COMPONENTS}

BACKEND = BY_SERVICE["backend"]
READY_PATH = "/v1/ready"  # 200 while taking new conversations, 503 when full or draining
TRAEFIK_ROUTER_API = "/api/http/services"  # Traefik's own view of servers and their health
