"""Fixtures of the swarm suite: a Docker engine in swarm mode, the images built the
air-gapped way, and the stack deployed with CPU speech servers and Traefik, once for all
tests of this package (package scope: it is gone before the multi-node suite starts, so
the two stacks never share the CPUs). Teardown removes the stack and its secrets, and
leaves the swarm and stops the engine if this run created them.

Set UNMUTE_SKIP_SWARM=1 to skip the suite (it needs root on a machine that may run dockerd).
"""

from __future__ import annotations

import os
import subprocess
import time
from collections.abc import Iterator
from typing import NoReturn

import pytest

from ops.swarm.variables import read_env_files
from tests.integration.backend_server import free_port
from tests.swarm.engine_setup import EngineUnavailable, SwarmEngine
from tests.swarm.live_stack import LiveStack

STACK = "unmuteci"
STACK_REMOVAL_TIMEOUT_S = 120.0
# Long enough for the rolling-update test's conversations, short enough for teardown.
DRAIN_GRACE_S = 90
STOP_GRACE_PERIOD = "100s"


_skipped: list[str] = []


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    """A skipped swarm suite is said out loud, not only counted."""
    if _skipped:
        terminalreporter.section("swarm suite not run")
        for reason in _skipped:
            terminalreporter.write_line(reason)


@pytest.fixture(scope="package")
def swarm_engine(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SwarmEngine]:
    if os.environ.get("UNMUTE_SKIP_SWARM"):
        _skip("UNMUTE_SKIP_SWARM is set")
    engine = SwarmEngine(log_path=tmp_path_factory.mktemp("dockerd") / "dockerd.log")
    try:
        engine.start()
    except EngineUnavailable as error:
        engine.stop()
        if os.geteuid() != 0:
            _skip(f"no Docker engine for the swarm suite: {error}")
        raise
    yield engine
    engine.stop()


@pytest.fixture(scope="package")
def live_stack(
    swarm_engine: SwarmEngine, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[LiveStack]:
    http_port, https_port = free_port(), free_port()
    bootstrap = LiveStack(STACK, http_port, https_port, ())
    # As docs/deployment.md shows it: build, keep the image names, deploy with them.
    built = bootstrap.ops("images", timeout=1500)
    assert built.returncode == 0, f"building the images failed:\n{built.stderr}"
    images_env = tmp_path_factory.mktemp("images") / "images.env"
    images_env.write_text(built.stdout)
    assert {"UNMUTE_BACKEND_IMAGE", "UNMUTE_TRAEFIK_IMAGE"} <= set(read_env_files([images_env]))
    arguments = (
        "deploy",
        "--speech", "cpu",
        "--llm", "cpu",
        "--no-monitoring",
        "--no-letsencrypt",
        "--http-port", str(http_port),
        "--https-port", str(https_port),
        "--env-file", str(images_env),
        "--resolve-image", "never",
        "--timeout", "600",
        "--set", f"UNMUTE_DRAIN_GRACE_S={DRAIN_GRACE_S}",
        "--set", f"UNMUTE_STOP_GRACE_PERIOD={STOP_GRACE_PERIOD}",
        "--set", "UNMUTE_FRONTEND_REPLICAS=1",
    )  # fmt: skip
    stack = LiveStack(STACK, http_port, https_port, arguments)
    try:
        deployed = stack.ops(*arguments, timeout=900)
        assert deployed.returncode == 0, f"deploy failed:\n{deployed.stdout}\n{deployed.stderr}"
        yield stack
    finally:
        _remove_stack(stack)


def _skip(reason: str) -> NoReturn:
    if reason not in _skipped:
        _skipped.append(reason)
    pytest.skip(reason)


def _remove_stack(stack: LiveStack) -> None:
    subprocess.run(["docker", "stack", "rm", stack.stack], capture_output=True, check=False)
    deadline = time.monotonic() + STACK_REMOVAL_TIMEOUT_S
    label = f"label=com.docker.stack.namespace={stack.stack}"
    while time.monotonic() < deadline:
        left = subprocess.run(
            ["docker", "network", "ls", "-q", "--filter", label],
            capture_output=True,
            text=True,
            check=False,
        ).stdout.split()
        if not left:
            break
        time.sleep(1.0)
    secrets = subprocess.run(
        ["docker", "secret", "ls", "-q", "--filter", f"label=unmute.stack={stack.stack}"],
        capture_output=True,
        text=True,
        check=False,
    ).stdout.split()
    if secrets:
        subprocess.run(["docker", "secret", "rm", *secrets], capture_output=True, check=False)
