"""Fixtures of the swarm suite: a one-node test bed (one real Docker engine in its own
namespaces carrying every role, see ops.swarm.testbed; the host's engine is never touched),
the stack's images (built once per run, see tests.swarm.testbed_stack), and the stack
deployed with CPU speech servers and Traefik, once for all tests of this package (package
scope: it is gone before the next suite starts, so two stacks never share the CPUs).
Teardown leaves the host as it was.

It needs root (network namespaces, dockerd); without it the suite is skipped and the
summary says why. Set UNMUTE_SKIP_SWARM=1 to skip it on purpose.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from ops.swarm.testbed_layout import TestBedLayout, plan_layout
from ops.swarm.variables import read_env_files
from tests.swarm.live_stack import LiveStack
from tests.swarm.testbed_stack import SuiteSkips, stack_images, testbed_session

STACK = "unmuteci"
# Long enough for the rolling-update test's conversations, short enough for teardown.
DRAIN_GRACE_S = 90
STOP_GRACE_PERIOD = "100s"

_skips = SuiteSkips("swarm suite not run")


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    _skips.report(terminalreporter)


@pytest.fixture(scope="package")
def one_node(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TestBedLayout]:
    yield from testbed_session(plan_layout(workers=0), _skips, tmp_path_factory)


@pytest.fixture(scope="package")
def live_stack(one_node: TestBedLayout, tmp_path_factory: pytest.TempPathFactory) -> LiveStack:
    images_env = stack_images(one_node, tmp_path_factory)
    assert {"UNMUTE_BACKEND_IMAGE", "UNMUTE_TRAEFIK_IMAGE"} <= set(read_env_files([images_env]))
    arguments = (
        "deploy",
        "--speech", "cpu",
        "--llm", "cpu",
        "--no-monitoring",
        "--no-letsencrypt",
        "--env-file", str(images_env),
        "--resolve-image", "never",  # the node's own engine holds the images
        "--public-url", f"https://{one_node.manager.address}",
        "--timeout", "600",
        "--set", f"UNMUTE_DRAIN_GRACE_S={DRAIN_GRACE_S}",
        "--set", f"UNMUTE_STOP_GRACE_PERIOD={STOP_GRACE_PERIOD}",
        "--set", "UNMUTE_FRONTEND_REPLICAS=1",
    )  # fmt: skip
    stack = LiveStack(one_node, STACK, arguments)
    deployed = stack.ops(*arguments, timeout=900)
    assert deployed.returncode == 0, f"deploy failed:\n{deployed.stdout}\n{deployed.stderr}"
    return stack
