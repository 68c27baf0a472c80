"""The system under test: fixed-latency servers and ONE backend process, each its own
process, so /proc can tell their CPU and memory apart."""

from __future__ import annotations

import asyncio
import json
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

import httpx

UNMUTE_OPS = str(Path(sys.executable).with_name("unmute-ops"))
STARTUP_TIMEOUT_S = 60.0
STOP_TIMEOUT_S = 15.0


@dataclass
class Stack:
    backend: subprocess.Popen[bytes]
    servers: subprocess.Popen[bytes]
    base_url: str
    """`http://127.0.0.1:<port>` of the backend."""
    trace_url: str

    @property
    def realtime_url(self) -> str:
        return self.base_url.replace("http://", "ws://", 1) + "/v1/realtime"


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


def _ports_if_written(ports_file: Path) -> dict[str, int] | None:
    if not ports_file.exists():
        return None
    ports: dict[str, int] = json.loads(ports_file.read_text())
    return ports


async def _wait_for_ports(servers: subprocess.Popen[bytes], ports_file: Path) -> dict[str, int]:
    deadline = time.monotonic() + STARTUP_TIMEOUT_S
    while (ports := _ports_if_written(ports_file)) is None:
        if servers.poll() is not None or time.monotonic() > deadline:
            raise RuntimeError("the fixed-latency servers did not start")
        await asyncio.sleep(0.1)
    return ports


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
    max_sessions: int, log_dir: Path, server_args: list[str] | None = None
) -> AsyncIterator[Stack]:
    """Start the servers (`python -m benchmarks.fixed_latency`, extra `server_args`) and
    `unmute-ops serve backend` with `UNMUTE_MAX_SESSIONS=max_sessions`; logs go to
    `log_dir` (which must exist)."""
    ports_file = Path(tempfile.mkdtemp()) / "ports.json"
    servers = subprocess.Popen(
        [sys.executable, "-m", "benchmarks.fixed_latency", "--ports-file", str(ports_file)]
        + (server_args or []),
        stdout=(log_dir / "servers.log").open("wb"),
        stderr=subprocess.STDOUT,
    )
    backend: subprocess.Popen[bytes] | None = None
    try:
        ports = await _wait_for_ports(servers, ports_file)
        port = free_port()
        env = {
            **os.environ,
            "UNMUTE_STT_URL": f"ws://127.0.0.1:{ports['stt']}",
            "UNMUTE_TTS_URL": f"ws://127.0.0.1:{ports['tts']}",
            "UNMUTE_LLM_URL": f"http://127.0.0.1:{ports['llm']}",
            "UNMUTE_MAX_SESSIONS": str(max_sessions),
        }
        backend = subprocess.Popen(
            [UNMUTE_OPS, "serve", "backend", "--host", "127.0.0.1", "--port", str(port)],
            env=env,
            stdout=(log_dir / "backend.log").open("wb"),
            stderr=subprocess.STDOUT,
        )
        base_url = f"http://127.0.0.1:{port}"
        await _wait_until_healthy(backend, base_url)
        yield Stack(backend, servers, base_url, f"http://127.0.0.1:{ports['llm']}/trace")
    finally:
        _stop(backend)
        _stop(servers)
