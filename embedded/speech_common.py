"""What every embedded speech server shares: slots, the API key, build info, metrics.

moshi-server has a fixed number of channels (its batch size); a stream beyond that gets
`Error "no free channels"` and is closed. Our CPU servers behave the same way. The wire
itself (messages, constants) is `backend.speech_protocol`.
"""

from __future__ import annotations

import asyncio
import contextlib
import hmac
import platform
from collections.abc import Mapping

from fastapi import FastAPI, Response
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Gauge, generate_latest

from backend.speech_protocol.constants import API_KEY_HEADER, API_KEY_QUERY


class SlotPool:
    """A fixed number of slots; `try_acquire` never waits, like moshi-server."""

    def __init__(self, size: int) -> None:
        if size < 0:
            raise ValueError("a server cannot have a negative number of slots")
        self.size = size
        self.in_use = 0
        self.draining = False
        self._idle = asyncio.Event()
        self._idle.set()

    def try_acquire(self) -> bool:
        if self.draining or self.in_use >= self.size:
            return False
        self.in_use += 1
        self._idle.clear()
        return True

    def release(self) -> None:
        if self.in_use <= 0:
            raise RuntimeError("released a slot that was not taken")
        self.in_use -= 1
        if self.in_use == 0:
            self._idle.set()

    async def drain(self, grace_s: float) -> None:
        """Refuse new streams ("no free channels": clients go elsewhere) and wait for the
        current ones to finish, for at most `grace_s`."""
        self.draining = True
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(grace_s):
                await self._idle.wait()


def api_key_ok(expected: str | None, headers: Mapping[str, str], query: Mapping[str, str]) -> bool:
    """True when no key is required, or the header or `auth_id` query matches it."""
    if expected is None:
        return True
    given = headers.get(API_KEY_HEADER) or query.get(API_KEY_QUERY) or ""
    return hmac.compare_digest(given.encode(), expected.encode())


def add_common_routes(
    app: FastAPI, *, service: str, slots: SlotPool, registry: CollectorRegistry
) -> None:
    """`GET /api/build_info` (up-check) and `GET /metrics` (slots in use and total)."""
    app.state.slots = slots  # for the drain on SIGTERM
    in_use = Gauge(
        f"unmute_{service}_slots_in_use", "Streams currently holding a slot", registry=registry
    )
    total = Gauge(f"unmute_{service}_slots", "Slots this server has", registry=registry)
    in_use.set_function(lambda: slots.in_use)
    total.set_function(lambda: slots.size)

    @app.get("/api/build_info")
    def build_info() -> dict[str, str]:
        return {
            "build_timestamp": "",
            "git_branch": "",
            "git_hash": "",
            "git_describe": "",
            "rustc_version": "",
            "service": f"unmute-embedded-{service}",
            "python_version": platform.python_version(),
        }

    @app.get("/metrics")
    def metrics() -> Response:
        return Response(generate_latest(registry), media_type=CONTENT_TYPE_LATEST)
