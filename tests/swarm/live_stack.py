"""The one-node stack as the tests see it: `unmute-ops` on it, a browser-like client through
Traefik (TLS with Traefik's own certificate), and the backends' session counters."""

from __future__ import annotations

import asyncio
import ssl
from dataclasses import dataclass

from websockets.asyncio.client import connect

from tests.integration.realtime_client import RealtimeClient, ev_subprotocol
from tests.swarm.testbed_stack import StackOnTestBed


def traefik_default_certificate() -> ssl.SSLContext:
    """Trust whatever Traefik presents: without Let's Encrypt it serves its own certificate."""
    context = ssl.create_default_context()
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    return context


class TlsRealtimeClient(RealtimeClient):
    """The browser-like client over `wss://`, as a browser reaches the stack."""

    async def __aenter__(self) -> TlsRealtimeClient:
        self._ws = await connect(
            self.url,
            subprotocols=[ev_subprotocol()],
            max_size=None,
            ssl=traefik_default_certificate(),
        )
        self._tasks = [asyncio.create_task(self._receive()), asyncio.create_task(self._stream())]
        return self


@dataclass(frozen=True)
class LiveStack(StackOnTestBed):
    @property
    def realtime_url(self) -> str:
        return f"wss://{self.layout.manager.address}/api/v1/realtime"

    def backend_sessions(self) -> dict[str, int]:
        """Conversations each backend task accepted since it started, by task address."""
        status = self.ops_json("status")
        backend = next(row for row in status["load"] if row["service"] == "backend")
        return {task["address"]: task["accepted_total"] for task in backend["tasks"]}
