"""Session fixtures of the multi-node suite: the test bed (a manager and two workers, each a
real Docker engine in its own namespaces, see ops.swarm.testbed), the stack's images built
on the manager and pulled by the workers from the registry in the swarm, and the stack
deployed across the nodes by their roles, once for the package's tests. Teardown leaves
the host as it was.

It needs root (network namespaces, dockerd); without it the suite is skipped and the
summary says why. Set UNMUTE_SKIP_SWARM=1 to skip it on purpose.

To iterate on these tests: `unmute-ops testbed up`, `unmute-ops testbed images >
images.env`, then run them with UNMUTE_TESTBED_KEEP=1 (use the test bed that is up, and
leave it up) and UNMUTE_TESTBED_IMAGES=images.env (deploy those images, build none).
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import NoReturn

import pytest

from ops.swarm.engine import SwarmError
from ops.swarm.images import DEFAULT_CACHE_DIR
from ops.swarm.testbed import bring_up, describe, distribute_images, tear_down
from ops.swarm.testbed_layout import TestBedLayout, plan_layout
from tests.multinode.cluster import Cluster

STACK = "unmutemn"
DRAIN_GRACE_S = 90
STOP_GRACE_PERIOD = "100s"
# The roles the stack is deployed with; a test that changes them puts these back.
ROLES = {
    "manager": ("edge", "llm"),
    "worker1": ("backend", "stt", "tts"),
    "worker2": ("backend", "stt", "tts"),
}

_skipped: list[str] = []


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    """A skipped multi-node suite is said out loud, not only counted."""
    if _skipped:
        terminalreporter.section("multi-node swarm suite not run")
        for reason in _skipped:
            terminalreporter.write_line(reason)


@pytest.fixture(scope="package")
def testbed(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TestBedLayout]:
    if os.environ.get("UNMUTE_SKIP_SWARM"):
        _skip("UNMUTE_SKIP_SWARM is set")
    if os.geteuid() != 0:
        _skip("the multi-node suite needs root (network namespaces, dockerd): run as root")
    layout = plan_layout(workers=2)
    if os.environ.get("UNMUTE_TESTBED_KEEP") and describe(layout)["up"]:
        yield layout
        return
    log = tmp_path_factory.mktemp("testbed") / "testbed.log"

    def say(message: str) -> None:
        with log.open("a") as file:
            file.write(message + "\n")

    try:
        bring_up(layout, DEFAULT_CACHE_DIR, say)
    except SwarmError as error:
        pytest.fail(f"the test bed did not come up: {error}")
    try:
        yield layout
    finally:
        if not os.environ.get("UNMUTE_TESTBED_KEEP"):
            tear_down(layout)


def _skip(reason: str) -> NoReturn:
    if reason not in _skipped:
        _skipped.append(reason)
    pytest.skip(reason)


@pytest.fixture(scope="package")
def cluster(testbed: TestBedLayout, tmp_path_factory: pytest.TempPathFactory) -> Cluster:
    if given := os.environ.get("UNMUTE_TESTBED_IMAGES"):
        images_env = Path(given)
    else:
        images = distribute_images(testbed, DEFAULT_CACHE_DIR, lambda message: None)
        images_env = tmp_path_factory.mktemp("images") / "images.env"
        images_env.write_text("".join(f"{key}={value}\n" for key, value in images.items()))
    cluster = Cluster(testbed, STACK, Path(tmp_path_factory.mktemp("conversations")))
    cluster.set_roles(ROLES)  # a kept test bed may come with other roles
    deployed = cluster.ops(
        "deploy",
        "--speech", "cpu",
        "--llm", "cpu",
        "--no-monitoring",
        "--no-letsencrypt",
        "--env-file", str(images_env),
        # The workers pull from the registry: the manager pins each image's digest.
        "--resolve-image", "always",
        "--public-url", cluster.url,
        "--timeout", "600",
        "--set", f"UNMUTE_DRAIN_GRACE_S={DRAIN_GRACE_S}",
        "--set", f"UNMUTE_STOP_GRACE_PERIOD={STOP_GRACE_PERIOD}",
        "--set", "UNMUTE_FRONTEND_REPLICAS=1",
        "--set", "UNMUTE_BACKEND_REPLICAS=2",
        "--set", "UNMUTE_STT_REPLICAS=2",
        "--set", "UNMUTE_TTS_REPLICAS=2",
        timeout=900,
    )  # fmt: skip
    assert deployed.returncode == 0, f"deploy failed:\n{deployed.stdout}\n{deployed.stderr}"
    return cluster


@pytest.fixture
def default_roles(cluster: Cluster) -> Iterator[Cluster]:
    """The cluster with the roles it was deployed with, put back after the test."""
    cluster.set_roles(ROLES)
    yield cluster
    cluster.set_roles(ROLES)
