"""`unmute-ops autoscale` across nodes, with simulated browsers talking through Traefik: it
removes the idle backend replica, adds one when the conversations fill the one left (Swarm
places it on the other backend node), and removes one again when they go, without a
conversation suffering.

Swarm, not the autoscaler, chooses which task a scale-down removes. What keeps a
conversation alive there is the drain: the removed backend stops taking new sessions and
lets the ones it holds run to their end (within UNMUTE_DRAIN_GRACE_S). The test makes that
the case it checks: the scale-down is decided only once every replica holds a conversation,
so whichever task Swarm removes has one to keep."""

from __future__ import annotations

import asyncio
import contextlib
import json
import signal
import subprocess
import time
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest

from tests.multinode.cluster import Cluster, Conversations
from tests.swarm.testbed_stack import UNMUTE_OPS

pytestmark = [pytest.mark.integration, pytest.mark.slow, pytest.mark.timeout(1800)]

# Four seats per backend (the stack's UNMUTE_MAX_SESSIONS). Above half of them in use, add
# a replica; below 45 %, after two readings, remove one unless the rest would be above half.
AUTOSCALE = (
    "autoscale",
    "--backend-min", "1",
    "--backend-max", "4",
    "--scale-up-at", "0.5",
    "--scale-down-at", "0.45",
    "--calm-readings", "2",
    "--interval", "2",
    # The speech servers stay as deployed: only the backends are looked at here.
    "--stt-min", "2", "--stt-max", "2",
    "--tts-min", "2", "--tts-max", "2",
    "--json",
)  # fmt: skip
DECISION_TIMEOUT_S = 180.0
SPLIT_TIMEOUT_S = 60.0
DEPLOYED_BACKENDS = 2


@dataclass
class Autoscaler:
    """`unmute-ops autoscale` running on the manager; its decisions as they come."""

    process: asyncio.subprocess.Process
    lines: list[dict[str, Any]] = field(default_factory=list)

    async def applied(self, target: int, timeout_s: float = DECISION_TIMEOUT_S) -> float:
        """Until it sets the backends to `target`; when it did (time.monotonic())."""
        assert self.process.stdout is not None
        deadline = time.monotonic() + timeout_s
        while True:
            remaining = deadline - time.monotonic()
            assert remaining > 0, f"no backend scale to {target}: {self.lines[-6:]}"
            try:
                raw = await asyncio.wait_for(self.process.stdout.readline(), remaining)
            except TimeoutError:
                raise AssertionError(f"no backend scale to {target}: {self.lines[-6:]}") from None
            assert raw, f"the autoscaler stopped: {self.lines[-6:]}"
            line = json.loads(raw)
            self.lines.append(line)
            if line["service"] == "backend" and line["applied"] and line["target"] == target:
                return time.monotonic()


@contextlib.asynccontextmanager
async def autoscaler(cluster: Cluster) -> AsyncIterator[Autoscaler]:
    """The autoscaler for as long as the block runs, stopped as an operator does (Ctrl-C)."""
    process = await asyncio.create_subprocess_exec(
        UNMUTE_OPS,
        *AUTOSCALE,
        env=cluster.environment(),
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.DEVNULL,
    )
    try:
        yield Autoscaler(process)
    finally:
        if process.returncode is None:
            process.send_signal(signal.SIGINT)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(process.wait(), 30)
        if process.returncode is None:
            process.kill()
            await process.wait()


@pytest.fixture
def backends_on_both_workers(default_roles: Cluster) -> Iterator[Cluster]:
    cluster = default_roles
    workers = {node.hostname for node in cluster.layout.workers}
    cluster.settle({"backend": workers})
    cluster.wait_for_routed_backends(DEPLOYED_BACKENDS)
    yield cluster
    # As deployed, for the tests that follow.
    cluster.docker("service", "scale", "--detach", f"{cluster.stack}_backend={DEPLOYED_BACKENDS}")
    cluster.settle({"backend": workers})
    cluster.wait_for_routed_backends(DEPLOYED_BACKENDS)


def test_autoscale_adds_backends_across_nodes_and_removes_them_without_dropping_one(
    backends_on_both_workers: Cluster,
) -> None:
    cluster = backends_on_both_workers
    workers = {node.hostname for node in cluster.layout.workers}

    async def added() -> tuple[Conversations, dict[str, Any]]:
        async with autoscaler(cluster) as scaler:
            await scaler.applied(1)  # nobody talks: the spare backend goes
            await asyncio.to_thread(_one, cluster)
            talk = asyncio.create_task(
                cluster.converse("autoscale-up", clients=3, duration_s=45, turns=2)
            )
            started = time.monotonic()
            decided = await scaler.applied(2)  # three of four seats in use
        placed = await asyncio.to_thread(cluster.wait_for_placement, {"backend": workers})
        return await talk, {
            "placed": placed["backend"],
            "decided_after_s": round(decided - started, 1),
            "serving_after_s": round(time.monotonic() - started, 1),
        }

    async def removed() -> tuple[Conversations, dict[str, Any]]:
        talk = asyncio.create_task(
            cluster.converse("autoscale-down", clients=2, duration_s=75, turns=3)
        )
        held = await _until_every_backend_holds_one(cluster, workers, talk)
        running = await asyncio.to_thread(_running_backends, cluster)
        started = time.monotonic()
        readings: list[tuple[float, dict[str, int]]] = []
        async with autoscaler(cluster) as scaler:
            watch = asyncio.create_task(_watch_held(cluster, workers, readings))
            decided = await scaler.applied(1)  # two of eight seats: calm
            watch.cancel()
        gone = await asyncio.to_thread(_removed_task, cluster, set(running))
        ended = await asyncio.to_thread(_ended_at, cluster, gone)
        # One backend per node here: the node's conversations are its backend's. The last
        # reading begun before the decision.
        before = [held for at, held in readings if at < decided]
        return await talk, {
            "held": held,
            "removed_on": running[gone],
            "held_by_removed": before[-1][running[gone]] if before else 0,
            "decided_after_s": round(decided - started, 1),
            "drained_s": round(ended - decided, 1),
        }

    up, grown = asyncio.run(added())
    down, shrunk = asyncio.run(removed())
    after = cluster.ops_json("status")
    backend = next(row for row in after["services"] if row["service"] == "backend")
    cluster.record(
        "autoscale",
        {
            "added_on": sorted(grown["placed"]),
            "added_after_s": grown["decided_after_s"],
            "added_serving_after_s": grown["serving_after_s"],
            "held_per_node": shrunk["held"],
            "removed_after_s": shrunk["decided_after_s"],
            "removed_on": shrunk["removed_on"],
            "held_by_removed": shrunk["held_by_removed"],
            "removed_task_drained_after_s": shrunk["drained_s"],
            "conversations": up.conversations + down.conversations,
            "replies": up.replies + down.replies,
        },
    )

    assert grown["placed"] == workers, "the added backend landed on the other backend node"
    assert up.issues == [], "a conversation suffered while backends were added"
    assert shrunk["held_by_removed"] >= 1, "the removed backend held a conversation"
    assert down.issues == [], "a conversation suffered when its backend was removed"
    assert down.replies >= 2, "the conversations went on"
    assert backend["running"] == backend["desired"] == 1, backend


def _one(cluster: Cluster) -> None:
    """Until one backend runs, on one node (Swarm chose which went)."""
    deadline = time.monotonic() + DECISION_TIMEOUT_S
    while len(placed := cluster.placement("backend")) != 1:
        assert time.monotonic() < deadline, f"backends still on {placed}"
        time.sleep(2.0)
    cluster.wait_for_placement({"backend": placed})


async def _until_every_backend_holds_one(
    cluster: Cluster, workers: set[str], talk: asyncio.Task[Conversations]
) -> dict[str, int]:
    """Conversations held per backend node, once each holds one: Traefik spreads new
    sessions over the backends, and the simulated browsers hold them back to back."""
    deadline = time.monotonic() + SPLIT_TIMEOUT_S
    while True:
        assert not talk.done(), "the load test ended before each backend held a conversation"
        rows = await asyncio.to_thread(cluster.nodes)
        held = {name: (rows[name]["conversations"] or {}).get("in_use", 0) for name in workers}
        if all(held.values()):
            return held
        assert time.monotonic() < deadline, f"conversations per backend node: {held}"
        await asyncio.sleep(1.0)


def _running_backends(cluster: Cluster) -> dict[str, str]:
    """Task ID → node hostname, of the backend tasks meant to run."""
    return {
        task_id: node
        for task_id, node in _backend_tasks(cluster, "desired-state=running")
        if node  # a task still being placed has no node
    }


def _backend_tasks(cluster: Cluster, wanted: str) -> list[tuple[str, str]]:
    shown = cluster.docker(
        "service", "ps", f"{cluster.stack}_backend", "--no-trunc",
        "--filter", wanted, "--format", "{{.ID}} {{.Node}}",
    )  # fmt: skip
    return [(line.split()[0], (line.split()[1:] or [""])[0]) for line in shown.splitlines()]


def _removed_task(cluster: Cluster, running: set[str]) -> str:
    """Which of the `running` tasks the scale-down took away."""
    left = set(_running_backends(cluster))
    gone = running - left
    assert len(gone) == 1, f"tasks that were running: {running}; running now: {left}"
    return gone.pop()


async def _watch_held(
    cluster: Cluster, workers: set[str], readings: list[tuple[float, dict[str, int]]]
) -> None:
    """Conversations held per backend node, reading after reading, with when each began."""
    while True:
        began = time.monotonic()
        rows = await asyncio.to_thread(cluster.nodes)
        readings.append(
            (
                began,
                {name: (rows[name]["conversations"] or {}).get("in_use", 0) for name in workers},
            )
        )


def _ended_at(cluster: Cluster, task_id: str) -> float:
    """When the task's container exited, on this host's monotonic clock, waiting for it (a
    draining backend exits once its conversations are over)."""
    deadline = time.monotonic() + DECISION_TIMEOUT_S
    while True:
        shown = subprocess.run(
            ["docker", "inspect", "--type", "task", task_id],
            env=cluster.environment(),
            capture_output=True,
            text=True,
            check=False,
        )
        if shown.returncode != 0:  # shut down, and already reaped from the swarm's store
            return time.monotonic()
        status = json.loads(shown.stdout)[0]["Status"]
        if status["State"] in ("complete", "shutdown", "failed", "rejected"):
            return time.monotonic()
        assert time.monotonic() < deadline, f"the removed backend still runs: {status}"
        time.sleep(0.5)
