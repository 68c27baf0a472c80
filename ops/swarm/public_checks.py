"""Checks through the front door: what a browser reaches via Traefik.

`/api/v1/health` must answer `ok` (speech, LLM reachable from a backend) and `/` must serve
the browser app. TLS is verified unless the URL points at this machine (`127.0.0.1`), where
the certificate is for the public name and cannot match."""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass
from ipaddress import ip_address
from urllib.parse import urlsplit

import httpx

REQUEST_TIMEOUT_S = 10.0  # one health answer includes the backend's own dependency checks
RETRY_INTERVAL_S = 2.0  # Traefik picks up new tasks within seconds


@dataclass(frozen=True)
class Check:
    component: str
    target: str
    ok: bool
    detail: str


def verify_tls_for(url: str) -> bool:
    host = urlsplit(url).hostname or ""
    if host == "localhost":
        return False
    try:
        return not ip_address(host).is_loopback
    except ValueError:
        return True


def check_public(base_url: str, verify: bool | None = None) -> list[Check]:
    # The checks report their own results; a log line per request would only repeat them.
    logging.getLogger("httpx").setLevel(logging.WARNING)
    base = base_url.rstrip("/")
    verify = verify_tls_for(base) if verify is None else verify
    with httpx.Client(timeout=REQUEST_TIMEOUT_S, verify=verify, trust_env=False) as http:
        return [_health(http, f"{base}/api/v1/health"), _site(http, f"{base}/")]


def wait_until_healthy(
    base_url: str, timeout_s: float, verify: bool | None = None
) -> tuple[bool, list[Check]]:
    """Retry the public checks until all pass or the time is up; the last results."""
    deadline = time.monotonic() + timeout_s
    while True:
        checks = check_public(base_url, verify)
        if all(c.ok for c in checks):
            return True, checks
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            return False, checks
        time.sleep(min(RETRY_INTERVAL_S, remaining))


def _health(http: httpx.Client, url: str) -> Check:
    try:
        answer = http.get(url)
    except httpx.HTTPError as error:
        return Check("backend (via Traefik)", url, False, f"no answer: {error}")
    if answer.status_code != 200:
        return Check("backend (via Traefik)", url, False, f"HTTP {answer.status_code}")
    try:
        body = answer.json()
    except ValueError:
        return Check("backend (via Traefik)", url, False, "not a health answer")
    down = [key.removesuffix("_up") for key, up in body.items() if key.endswith("_up") and not up]
    if not body.get("ok"):
        return Check("backend (via Traefik)", url, False, f"down: {', '.join(down)}")
    detail = "stt, tts and llm up" + (f"; optional down: {', '.join(down)}" if down else "")
    return Check("backend (via Traefik)", url, True, detail)


def _site(http: httpx.Client, url: str) -> Check:
    try:
        answer = http.get(url)
    except httpx.HTTPError as error:
        return Check("frontend (via Traefik)", url, False, f"no answer: {error}")
    ok = answer.status_code == 200
    return Check("frontend (via Traefik)", url, ok, f"HTTP {answer.status_code}")
