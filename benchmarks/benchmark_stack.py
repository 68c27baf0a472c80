"""The system under test: fixed-latency servers and ONE backend process, each its own
process, so /proc can tell their CPU and memory apart."""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

UNMUTE_OPS = str(Path(sys.executable).with_name("unmute-ops"))
STARTUP_TIMEOUT_S = 60.0
STOP_TIMEOUT_S = 15.0


SERVER_KINDS = ("stt", "tts", "llm")


@dataclass
class Stack:
    backend: subprocess.Popen[bytes]
    servers: dict[str, subprocess.Popen[bytes]]
    ports: dict[str, int]
    base_url: str
    """`http://127.0.0.1:<port>` of the backend."""

    @property
    def realtime_url(self) -> str:
        return self.base_url.replace("http://", "ws://", 1) + "/v1/realtime"

    async def trace(self, http: httpx.AsyncClient, *, reset: bool = False) -> dict[str, Any]:
        """Every server's stamps, merged: per turn key, and the STT's audio arrivals."""
        turns: dict[str, dict[str, float]] = {}
        arrivals: dict[str, list[list[float]]] = {}
        for port in self.ports.values():
            params = {"reset": "1"} if reset else {}
            answer = await http.get(f"http://127.0.0.1:{port}/trace", params=params, timeout=30)
            part = answer.json()
            for key, stamps in part["turns"].items():
                turns.setdefault(key, {}).update(stamps)
            arrivals.update(part["arrivals"])
        return {"turns": turns, "arrivals": arrivals}


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def _stop(process: subprocess.Popen[bytes] | None) -> None:
    if process is None or process.poll() is not None:
        return
    process.send_signal(signal.SIGTERM)
    try:
        process.wait(STOP_TIMEOUT_S)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


def _port_if_written(port_file: Path) -> int | None:
    text = port_file.read_text() if port_file.exists() else ""
    return int(text) if text.strip() else None


async def _wait_for_port(server: subprocess.Popen[bytes], port_file: Path) -> int:
    deadline = time.monotonic() + STARTUP_TIMEOUT_S
    while (port := _port_if_written(port_file)) is None:
        if server.poll() is not None or time.monotonic() > deadline:
            raise RuntimeError(f"the {port_file.stem} server did not start")
        await asyncio.sleep(0.1)
    return port


async def _wait_until_healthy(backend: subprocess.Popen[bytes], base_url: str) -> None:
    deadline = time.monotonic() + STARTUP_TIMEOUT_S
    async with httpx.AsyncClient(trust_env=False) as http:
        while True:
            if backend.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError("the backend did not start")
            try:
                answer = await http.get(f"{base_url}/v1/health", timeout=2)
                if answer.status_code == 200 and answer.json().get("ok"):
                    return
            except httpx.HTTPError:
                pass
            await asyncio.sleep(0.2)


@asynccontextmanager
async def benchmark_stack(
    max_sessions: int,
    log_dir: Path,
    server_args: list[str] | None = None,
    servers_module: str = "benchmarks.fixed_latency",
    backend_command: list[str] | None = None,
) -> AsyncIterator[Stack]:
    """Start the three servers (`python -m <servers_module> KIND`, extra `server_args`),
    each in its own process, and `unmute-ops serve backend` (or `backend_command`, e.g.
    another interpreter's) with `UNMUTE_MAX_SESSIONS=max_sessions`; logs go to `log_dir`
    (which must exist)."""
    scratch = Path(tempfile.mkdtemp())
    servers: dict[str, subprocess.Popen[bytes]] = {}
    backend: subprocess.Popen[bytes] | None = None
    try:
        for kind in SERVER_KINDS:
            command = [sys.executable, "-m", servers_module, kind]
            servers[kind] = subprocess.Popen(
                [*command, "--port-file", str(scratch / f"{kind}.port"), *(server_args or [])],
                stdout=(log_dir / f"{kind}.log").open("wb"),
                stderr=subprocess.STDOUT,
            )
        ports = {
            kind: await _wait_for_port(server, scratch / f"{kind}.port")
            for kind, server in servers.items()
        }
        port = free_port()
        env = {
            **os.environ,
            "UNMUTE_STT_URL": f"ws://127.0.0.1:{ports['stt']}",
            "UNMUTE_TTS_URL": f"ws://127.0.0.1:{ports['tts']}",
            "UNMUTE_LLM_URL": f"http://127.0.0.1:{ports['llm']}",
            "UNMUTE_MAX_SESSIONS": str(max_sessions),
        }
        backend = subprocess.Popen(
            [
                *(backend_command or [UNMUTE_OPS]),
                *("serve", "backend", "--host", "127.0.0.1", "--port", str(port)),
            ],
            env=env,
            stdout=(log_dir / "backend.log").open("wb"),
            stderr=subprocess.STDOUT,
        )
        base_url = f"http://127.0.0.1:{port}"
        await _wait_until_healthy(backend, base_url)
        yield Stack(backend, servers, ports, base_url)
    finally:
        _stop(backend)
        for server in servers.values():
            _stop(server)
