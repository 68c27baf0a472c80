"""Fixtures of the multi-node suite: the test bed (a manager and two workers, each a real
Docker engine in its own namespaces, see ops.swarm.testbed), the stack's images (built once
per run, see tests.swarm.testbed_stack) pushed to the registry in the swarm and pulled by
the workers from it, and the stack deployed across the nodes by their roles, once for the
package's tests. Teardown leaves the host as it was.

It needs root (network namespaces, dockerd); without it the suite is skipped and the
summary says why. Set UNMUTE_SKIP_SWARM=1 to skip it on purpose. To iterate on these
tests, see tests.swarm.testbed_stack.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from ops.swarm.testbed_layout import TestBedLayout, plan_layout
from tests.multinode.cluster import DEFAULT_ROLES, Cluster
from tests.swarm.testbed_stack import SuiteSkips, stack_images, testbed_session

STACK = "unmutemn"
DRAIN_GRACE_S = 90
STOP_GRACE_PERIOD = "100s"
_skips = SuiteSkips("multi-node swarm suite not run")


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    _skips.report(terminalreporter)


@pytest.fixture(scope="package")
def testbed(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TestBedLayout]:
    yield from testbed_session(plan_layout(workers=2), _skips, tmp_path_factory)


@pytest.fixture(scope="package")
def cluster(testbed: TestBedLayout, tmp_path_factory: pytest.TempPathFactory) -> Cluster:
    images_env = stack_images(testbed, tmp_path_factory)
    arguments = (
        "deploy",
        "--speech", "cpu",
        "--llm", "cpu",
        "--no-monitoring",
        "--no-letsencrypt",
        "--env-file", str(images_env),
        # The workers pull from the registry: the manager pins each image's digest.
        "--resolve-image", "always",
        "--public-url", f"https://{testbed.manager.address}",
        "--timeout", "600",
        "--set", f"UNMUTE_DRAIN_GRACE_S={DRAIN_GRACE_S}",
        "--set", f"UNMUTE_STOP_GRACE_PERIOD={STOP_GRACE_PERIOD}",
        "--set", "UNMUTE_FRONTEND_REPLICAS=1",
        "--set", "UNMUTE_BACKEND_REPLICAS=2",
        "--set", "UNMUTE_STT_REPLICAS=2",
        "--set", "UNMUTE_TTS_REPLICAS=2",
    )  # fmt: skip
    cluster = Cluster(testbed, STACK, arguments, Path(tmp_path_factory.mktemp("conversations")))
    cluster.set_roles(DEFAULT_ROLES)  # a kept test bed may come with other roles
    deployed = cluster.ops(*arguments, timeout=900)
    assert deployed.returncode == 0, f"deploy failed:\n{deployed.stdout}\n{deployed.stderr}"
    return cluster


@pytest.fixture
def default_roles(cluster: Cluster) -> Iterator[Cluster]:
    """The cluster with the roles it was deployed with, put back after the test."""
    cluster.set_roles(DEFAULT_ROLES)
    yield cluster
    cluster.set_roles(DEFAULT_ROLES)
