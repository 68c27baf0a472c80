"""Every URL form an operator may paste resolves to the browser's two endpoints."""

from __future__ import annotations

import httpx
import pytest

from loadtest.endpoints import EndpointError, discover_endpoints, resolve_endpoints


@pytest.mark.parametrize(
    ("url", "realtime", "health"),
    [
        (
            "http://localhost:8000",
            "ws://localhost:8000/v1/realtime",
            "http://localhost:8000/v1/health",
        ),
        ("localhost:8000/", "ws://localhost:8000/v1/realtime", "http://localhost:8000/v1/health"),
        (
            "ws://10.0.0.5:8000/v1/realtime",
            "ws://10.0.0.5:8000/v1/realtime",
            "http://10.0.0.5:8000/v1/health",
        ),
        (
            "https://unmute.example.com/api",
            "wss://unmute.example.com/api/v1/realtime",
            "https://unmute.example.com/api/v1/health",
        ),
        (
            "wss://unmute.example.com/api/v1/realtime",
            "wss://unmute.example.com/api/v1/realtime",
            "https://unmute.example.com/api/v1/health",
        ),
        (
            "https://unmute.example.com/api/v1/health",
            "wss://unmute.example.com/api/v1/realtime",
            "https://unmute.example.com/api/v1/health",
        ),
        ("HTTPS://Host/api/v1/", "wss://Host/api/v1/realtime", "https://Host/api/v1/health"),
    ],
)
def test_url_forms_resolve_to_realtime_and_health(url: str, realtime: str, health: str) -> None:
    endpoints = resolve_endpoints(url)
    assert (endpoints.realtime_url, endpoints.health_url) == (realtime, health)


@pytest.mark.parametrize("url", ["ftp://host/", "http://", "unix:///tmp/socket"])
def test_urls_that_cannot_name_a_deployment_are_refused(url: str) -> None:
    with pytest.raises(EndpointError):
        resolve_endpoints(url)


def _only_answers_at(path: str) -> httpx.MockTransport:
    def answer(request: httpx.Request) -> httpx.Response:
        if request.url.path == path:
            return httpx.Response(200, json={"ok": True, "stt_up": True})
        return httpx.Response(200, text="<html>the browser app</html>")

    return httpx.MockTransport(answer)


async def test_a_bare_host_behind_a_proxy_is_found_under_api() -> None:
    async with httpx.AsyncClient(transport=_only_answers_at("/api/v1/health")) as http:
        endpoints = await discover_endpoints("https://unmute.example.com", http)
    assert endpoints.realtime_url == "wss://unmute.example.com/api/v1/realtime"
    assert endpoints.base_url == "https://unmute.example.com/api"


async def test_a_bare_backend_is_used_at_its_root() -> None:
    async with httpx.AsyncClient(transport=_only_answers_at("/v1/health")) as http:
        endpoints = await discover_endpoints("http://10.0.0.5:8000", http)
    assert endpoints.health_url == "http://10.0.0.5:8000/v1/health"


async def test_an_explicit_prefix_is_not_second_guessed() -> None:
    async with httpx.AsyncClient(transport=_only_answers_at("/v1/health")) as http:
        endpoints = await discover_endpoints("http://host/api", http)
    assert endpoints.health_url == "http://host/api/v1/health"
