"""A test bed node's engine: started in its namespaces as after a reboot, asked whether it
answers, and stopped cleanly (SIGTERM) or killed with all it runs (SIGKILL)."""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import subprocess
import time
from pathlib import Path

from ops.swarm.engine import SwarmError
from ops.swarm.testbed_layout import TestBedNode, engine_command
from ops.swarm.testbed_network import namespace_pids, run

ENGINE_START_TIMEOUT_S = 60.0
ENGINE_STOP_TIMEOUT_S = 30.0  # the engine stops its containers first


def docker(node: TestBedNode, *arguments: str, timeout: float = 120.0) -> str:
    """The docker CLI against one node's engine."""
    return run(["docker", "--host", node.docker_host, *arguments], timeout=timeout)


def engine_pid(node: TestBedNode) -> int | None:
    """The node's dockerd (the first process of its PID namespace), if it runs."""
    for pid in namespace_pids(node.namespace):
        try:
            command = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")[0]
        except FileNotFoundError:
            continue
        if command.endswith(b"dockerd"):
            return pid
    return None


def engine_answers(node: TestBedNode) -> bool:
    if not node.socket.exists():
        return False
    try:
        docker(node, "info", "--format", "{{.ServerVersion}}", timeout=10)
    except (SwarmError, subprocess.TimeoutExpired):
        return False
    return True


def start_engine(node: TestBedNode, registry: str) -> None:
    # A node starts as after a reboot: an empty /run (a killed engine leaves pid files and
    # sockets there), its data root kept, swarm membership included (it rejoins).
    shutil.rmtree(node.run_dir, ignore_errors=True)
    node.run_dir.mkdir(parents=True)
    node.data_dir.mkdir(parents=True, exist_ok=True)
    with node.log_path.open("ab") as log:
        daemon = subprocess.Popen(
            engine_command(node, registry),
            stdout=log,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            start_new_session=True,  # outlives `unmute-ops testbed up`
        )
    deadline = time.monotonic() + ENGINE_START_TIMEOUT_S
    while not engine_answers(node):
        if daemon.poll() is not None:
            raise SwarmError(f"the engine of {node.name} exited; see {node.log_path}")
        if time.monotonic() > deadline:
            raise SwarmError(f"the engine of {node.name} did not answer; see {node.log_path}")
        time.sleep(0.3)


def stop_engine(node: TestBedNode, sig: signal.Signals = signal.SIGTERM) -> None:
    """SIGTERM stops the engine cleanly; SIGKILL is the node dying with all it runs."""
    stop_engines([node], sig)


def stop_engines(nodes: list[TestBedNode], sig: signal.Signals = signal.SIGTERM) -> None:
    """Signal every engine at once, then wait until their namespaces hold no process."""
    for node in nodes:
        if (pid := engine_pid(node)) is not None:
            os.kill(pid, sig)
    for node in nodes:
        deadline = time.monotonic() + ENGINE_STOP_TIMEOUT_S
        while left := namespace_pids(node.namespace):
            if time.monotonic() > deadline:
                for pid in left:
                    _kill(pid)
            time.sleep(0.2)


def _kill(pid: int) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.kill(pid, signal.SIGKILL)
