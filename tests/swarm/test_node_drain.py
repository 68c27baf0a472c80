"""`unmute-ops drain` on the live stack's only node: every task leaves it (backends drain
first), and `--activate` brings the whole stack back."""

from __future__ import annotations

import json
import time

import pytest

from tests.swarm.live_stack import LiveStack

pytestmark = [pytest.mark.integration, pytest.mark.slow, pytest.mark.timeout(1800)]

RECOVERY_TIMEOUT_S = 240.0


def test_drain_empties_the_node_and_activate_restores_the_stack(live_stack: LiveStack) -> None:
    node = live_stack.layout.manager.hostname
    status = live_stack.ops_json("status")
    assert [n["hostname"] for n in status["nodes"]] == [node]
    try:
        drained = live_stack.ops_json("drain", node)
        assert drained == {"node": node, "availability": "drain", "tasks_left": 0, "ok": True}
        status = live_stack.ops_json("status")
        assert status["nodes"][0]["availability"] == "drain"
        assert all(row["running"] == 0 for row in status["services"]), status["services"]
        # A drained node cannot join the stack's network to read the load; status says so.
        assert status["load"] is None and status["load_error"]
    finally:
        activated = live_stack.ops_json("drain", node, "--activate")
        assert activated["availability"] == "active"

    deadline = time.monotonic() + RECOVERY_TIMEOUT_S
    while True:
        report = live_stack.ops("health", "--json")
        if report.returncode == 0:
            break
        assert time.monotonic() < deadline, json.loads(report.stdout or "{}")
        time.sleep(2.0)
    assert json.loads(report.stdout)["ok"] is True
