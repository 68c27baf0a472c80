"""A Docker engine in swarm mode for the swarm suite: installed, started and initialised
only where missing, and afterwards returned to the state it was found in."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

APT_PACKAGES = ("docker.io", "debootstrap")
ENGINE_START_TIMEOUT_S = 60.0
ENGINE_STOP_TIMEOUT_S = 60.0


class EngineUnavailable(RuntimeError):
    """This machine cannot run the suite (and says why)."""


def _quiet(command: list[str], timeout: float = 120.0) -> subprocess.CompletedProcess[str]:
    return subprocess.run(command, capture_output=True, text=True, timeout=timeout, check=False)


def engine_answers() -> bool:
    try:
        return _quiet(["docker", "info", "--format", "{{.ServerVersion}}"], 20).returncode == 0
    except (FileNotFoundError, subprocess.TimeoutExpired):
        return False


def swarm_state() -> str:
    result = _quiet(["docker", "info", "--format", "{{.Swarm.LocalNodeState}}"], 20)
    return result.stdout.strip()


def install_missing_packages() -> None:
    missing = [
        package
        for package in APT_PACKAGES
        if "install ok installed"
        not in _quiet(["dpkg-query", "-W", "-f=${Status}", package]).stdout
    ]
    if not missing:
        return
    if os.geteuid() != 0:
        raise EngineUnavailable(f"needs root to install {', '.join(missing)}")
    environment = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    for command in (["apt-get", "update", "-qq"], ["apt-get", "install", "-y", "-qq", *missing]):
        result = subprocess.run(
            command, capture_output=True, text=True, env=environment, timeout=600, check=False
        )
        if result.returncode != 0:
            raise EngineUnavailable(f"{' '.join(command)} failed: {result.stderr[-1000:]}")


@dataclass
class SwarmEngine:
    """What this run started, so that teardown stops exactly that."""

    log_path: Path
    daemon: subprocess.Popen[bytes] | None = None
    initialised_swarm: bool = False

    def start(self) -> None:
        install_missing_packages()
        if not engine_answers():
            self._start_daemon()
        if swarm_state() != "active":
            result = _quiet(["docker", "swarm", "init", "--advertise-addr", "127.0.0.1"])
            if result.returncode != 0:
                raise EngineUnavailable(f"docker swarm init failed: {result.stderr.strip()}")
            self.initialised_swarm = True

    def _start_daemon(self) -> None:
        dockerd = shutil.which("dockerd")
        if dockerd is None or os.geteuid() != 0:
            raise EngineUnavailable("no Docker engine answers, and this user cannot start one")
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        with self.log_path.open("ab") as log:
            self.daemon = subprocess.Popen(
                [dockerd],
                stdout=log,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                start_new_session=True,
            )
        deadline = time.monotonic() + ENGINE_START_TIMEOUT_S
        while not engine_answers():
            if self.daemon.poll() is not None:
                raise EngineUnavailable(f"dockerd exited; see {self.log_path}")
            if time.monotonic() > deadline:
                raise EngineUnavailable(f"dockerd did not answer; see {self.log_path}")
            time.sleep(0.5)

    def stop(self) -> None:
        if self.initialised_swarm:
            _quiet(["docker", "swarm", "leave", "--force"])
        if self.daemon is not None and self.daemon.poll() is None:
            self.daemon.send_signal(signal.SIGTERM)
            try:
                self.daemon.wait(ENGINE_STOP_TIMEOUT_S)
            except subprocess.TimeoutExpired:
                self.daemon.kill()
                self.daemon.wait()
