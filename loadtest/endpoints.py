"""Where a load test connects: the realtime WebSocket and the health route of one URL.

Operators point the load tester at whatever they have: `unmute-ops up`
(`http://localhost:8000`), a single backend (`ws://10.0.0.5:8000/v1/realtime`) or a
swarm behind Traefik (`https://unmute.example.com`, where only `/api/...` reaches the
backends). Any of those forms, with or without `/api`, with a ws(s) or http(s) scheme,
resolves to the same pair of URLs the browser would use.
"""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urlsplit, urlunsplit

import httpx

API_PREFIX = "/api"
REALTIME_PATH = "/v1/realtime"
HEALTH_PATH = "/v1/health"
# Route suffixes an operator may paste along with the base URL; dropped before resolving.
_ROUTE_SUFFIXES = (REALTIME_PATH, HEALTH_PATH, "/v1")
_WS_FOR_HTTP = {"http": "ws", "https": "wss"}
_HTTP_FOR_WS = {"ws": "http", "wss": "https"}
PROBE_TIMEOUT_S = 5.0


@dataclass(frozen=True)
class Endpoints:
    """The URLs of one Unmute deployment, as a browser reaches them."""

    realtime_url: str
    """`ws(s)://host[:port][/api]/v1/realtime`"""
    health_url: str
    """`http(s)://host[:port][/api]/v1/health`"""

    @property
    def base_url(self) -> str:
        """The http(s) URL under which `/v1/...` lives (`/api` included when used)."""
        return self.health_url.removesuffix(HEALTH_PATH)


class EndpointError(ValueError):
    """The URL cannot name an Unmute deployment; the message says why."""


def split_base(url: str) -> tuple[str, str, str]:
    """(http scheme, host[:port], path prefix) of `url`, route suffixes removed."""
    text = url.strip()
    if "://" not in text:
        text = "http://" + text
    parts = urlsplit(text)
    scheme = parts.scheme.lower()
    if scheme in _HTTP_FOR_WS:
        scheme = _HTTP_FOR_WS[scheme]
    if scheme not in _WS_FOR_HTTP:
        raise EndpointError(f"unsupported scheme {parts.scheme!r}: use http(s) or ws(s)")
    if not parts.netloc:
        raise EndpointError(f"no host in {url!r}")
    path = parts.path.rstrip("/")
    for suffix in _ROUTE_SUFFIXES:
        if path.endswith(suffix):
            path = path.removesuffix(suffix).rstrip("/")
            break
    return scheme, parts.netloc, path


def endpoints_under(scheme: str, netloc: str, prefix: str) -> Endpoints:
    """The endpoints of a deployment whose `/v1/...` routes live under `prefix`."""
    health = urlunsplit((scheme, netloc, prefix + HEALTH_PATH, "", ""))
    realtime = urlunsplit((_WS_FOR_HTTP[scheme], netloc, prefix + REALTIME_PATH, "", ""))
    return Endpoints(realtime_url=realtime, health_url=health)


def resolve_endpoints(url: str) -> Endpoints:
    """The endpoints `url` names, without asking the network: the path is kept as the
    prefix (`https://host/api` → `/api/v1/...`; `http://host:8000` → `/v1/...`)."""
    return endpoints_under(*split_base(url))


async def discover_endpoints(url: str, http: httpx.AsyncClient) -> Endpoints:
    """Like `resolve_endpoints`, but when `url` has no path, find out whether the backend
    answers at `/v1` or only under `/api` (a proxy that routes `/` to the browser app)."""
    scheme, netloc, prefix = split_base(url)
    if prefix:
        return endpoints_under(scheme, netloc, prefix)
    for candidate in ("", API_PREFIX):
        endpoints = endpoints_under(scheme, netloc, candidate)
        if await _answers_health(http, endpoints.health_url):
            return endpoints
    return endpoints_under(scheme, netloc, "")


async def _answers_health(http: httpx.AsyncClient, health_url: str) -> bool:
    """True when `health_url` returns the backend's health JSON (any status)."""
    try:
        answer = await http.get(health_url, timeout=PROBE_TIMEOUT_S)
        body = answer.json()
    except (httpx.HTTPError, ValueError):
        return False
    return isinstance(body, dict) and "ok" in body
