"""A CPU speech server (`unmute-ops serve stt|tts`) in its own process, for benchmarks."""

from __future__ import annotations

import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Sequence
from pathlib import Path

import httpx

KEY = "public_token"
START_TIMEOUT_S = 120.0  # pocketsphinx workers take a while to load on a busy machine


def start_speech_server(
    kind: str, slots: int, cpu: int | None = None, options: Sequence[str] = ()
) -> tuple[str, subprocess.Popen[bytes]]:
    """Start the server (pinned to `cpu` when given, with more command-line `options`) and
    wait until it answers."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    command = [str(Path(sys.executable).parent / "unmute-ops"), "serve", kind]
    command += ["--port", str(port), "--slots", str(slots), "--api-key", KEY, *options]
    if cpu is not None and shutil.which("taskset"):
        command = ["taskset", "-c", str(cpu), *command]
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    address = f"127.0.0.1:{port}"
    deadline = time.monotonic() + START_TIMEOUT_S
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"http://{address}/api/build_info").status_code == 200:
                return address, process
        except httpx.TransportError:
            time.sleep(0.2)
    process.kill()
    raise RuntimeError(f"the {kind} server did not start")


def stop_server(process: subprocess.Popen[bytes]) -> None:
    process.send_signal(signal.SIGINT)
    process.wait(timeout=30)


def metric(address: str, name: str) -> float:
    """One unlabelled value from the server's `/metrics`."""
    for line in httpx.get(f"http://{address}/metrics").text.splitlines():
        if line.startswith(name + " "):
            return float(line.split()[1])
    raise KeyError(name)
