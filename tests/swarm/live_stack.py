"""The deployed test stack as the tests see it: `unmute-ops` on it, a browser-like client
through Traefik (TLS with Traefik's own certificate), and the backends' session counters."""

from __future__ import annotations

import asyncio
import json
import os
import ssl
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from websockets.asyncio.client import connect

from tests.integration.realtime_client import RealtimeClient, ev_subprotocol

UNMUTE_OPS = str(Path(sys.executable).with_name("unmute-ops"))


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
class LiveStack:
    stack: str
    http_port: int
    https_port: int
    deploy_arguments: tuple[str, ...]  # what deployed it: redeploy with the same plus changes

    @property
    def url(self) -> str:
        return f"https://127.0.0.1:{self.https_port}"

    @property
    def realtime_url(self) -> str:
        return f"wss://127.0.0.1:{self.https_port}/api/v1/realtime"

    def environment(self) -> dict[str, str]:
        return {
            **os.environ,
            "UNMUTE_STACK": self.stack,
            "UNMUTE_HTTPS_PORT": str(self.https_port),
            "COLUMNS": "200",
        }

    def ops(self, *arguments: str, timeout: float = 600) -> subprocess.CompletedProcess[str]:
        """`unmute-ops …` against this stack, as an operator runs it."""
        return subprocess.run(
            [UNMUTE_OPS, *arguments],
            env=self.environment(),
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )

    def ops_json(self, *arguments: str, timeout: float = 600) -> Any:
        result = self.ops(*arguments, "--json", timeout=timeout)
        assert result.returncode == 0, f"unmute-ops {' '.join(arguments)}:\n{result.stderr}"
        return json.loads(result.stdout)

    async def ops_async(self, *arguments: str) -> tuple[int, str, str]:
        """`unmute-ops …` in the background, while the test keeps talking to the stack."""
        process = await asyncio.create_subprocess_exec(
            UNMUTE_OPS,
            *arguments,
            env=self.environment(),
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
        )
        out, err = await process.communicate()
        return process.returncode or 0, out.decode(), err.decode()

    def backend_sessions(self) -> dict[str, int]:
        """Conversations each backend task accepted since it started, by task address."""
        status = self.ops_json("status")
        backend = next(row for row in status["load"] if row["service"] == "backend")
        return {task["address"]: task["accepted_total"] for task in backend["tasks"]}

    def wait_for_routed_backends(self, count: int, timeout_s: float = 60) -> None:
        """Until Traefik routes to `count` ready backends (it discovers tasks every 2 s)."""
        deadline = time.monotonic() + timeout_s
        wanted = f"api: {count}/{count} servers up"
        while True:
            report = self.ops("health", "--json")
            checks = json.loads(report.stdout)["checks"] if report.stdout else []
            routing = [c["detail"] for c in checks if c["component"] == "traefik routing"]
            if routing and all(wanted in detail for detail in routing):
                return
            assert time.monotonic() < deadline, f"Traefik does not route to {count}: {routing}"
            time.sleep(1.0)
