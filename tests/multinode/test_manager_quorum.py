"""A manager's engine restarts under live conversations, in a swarm laid out to outlive it:
three managers (the workers promoted), Traefik on an edge that is not the restarted
manager, the LLM on another node. Docker refuses `live-restore` in swarm mode, so whatever
runs on the restarted engine dies with it; what must hold is that nothing of the
conversations' path runs there. Its figures go to `node-faults.json` (docs/deployment.md
quotes them)."""

from __future__ import annotations

import asyncio
import contextlib
import signal
import subprocess
import time
from collections.abc import Iterator
from typing import Any

import pytest

from ops.swarm import testbed_layout
from ops.swarm.engine import SwarmError
from ops.swarm.testbed import node_state, wait_until_ready
from ops.swarm.testbed_engine import docker, engine_pid, start_engine, stop_engine
from tests.multinode.cluster import DEFAULT_ROLES, NODE_BACK_TIMEOUT_S, Cluster, Conversations

pytestmark = [pytest.mark.integration, pytest.mark.slow, pytest.mark.timeout(1800)]

# The manager keeps the control plane (and the registry) alone; worker1 is the edge the
# browsers reach, worker2 runs the LLM; both run backends and speech.
QUORUM_ROLES = {
    "manager": (),
    "worker1": ("edge", "backend", "stt", "tts"),
    "worker2": ("llm", "backend", "stt", "tts"),
}
MANAGER_DOWN_S = 15.0  # long enough for the other two to elect a leader and carry on
QUORUM_TIMEOUT_S = 60.0
ROLE_AND_STANDING = "{{.Spec.Role}} {{if .ManagerStatus}}{{.ManagerStatus.Leader}}{{end}}"


@pytest.fixture
def three_managers(default_roles: Cluster) -> Iterator[Cluster]:
    """Both workers promoted to managers and given the edge and the LLM; demoted, and the
    roles put back with Traefik and the LLM serving on the manager again, after the test."""
    cluster = default_roles
    manager = cluster.layout.manager
    edge, llm_node = cluster.layout.workers
    workers = {node.hostname for node in cluster.layout.workers}
    managers = {manager.hostname}
    try:
        cluster.docker("node", "promote", *sorted(workers))
        managers |= workers
        cluster.set_roles(QUORUM_ROLES)
        cluster.settle(
            {"backend": workers, "stt": workers, "tts": workers, "llm": {llm_node.hostname}}
        )
        cluster.wait_for_placement({"traefik": {edge.hostname}, "frontend": {edge.hostname}})
        cluster.wait_for_routed_backends(2)
        yield cluster
    finally:
        if engine_pid(manager) is None:
            start_engine(manager, cluster.layout.registry)
        wait_until_ready(cluster.layout, manager, NODE_BACK_TIMEOUT_S)
        # Demoting a manager while another is unreachable would cost the swarm its quorum
        # (the engine refuses it): all of them answer first.
        _wait_for_quorum(manager, managers)
        _demote(manager, managers - {manager.hostname})
        _wait_for_quorum(manager, {manager.hostname})
        cluster.set_roles(DEFAULT_ROLES)
        cluster.wait_for_placement(
            {"traefik": {manager.hostname}, "llm": {manager.hostname}},
            timeout_s=NODE_BACK_TIMEOUT_S,
        )
        cluster.wait_for_routed_backends(2)
        asyncio.run(cluster.wait_until_healthy())


def test_a_managers_engine_restarts_and_conversations_through_another_edge_go_on(
    three_managers: Cluster,
) -> None:
    """The manager's engine is killed mid-conversation and started again 15 s later. The
    two other managers keep the swarm's quorum (they elect a leader, and answer the API
    Traefik reads), the conversations through the Traefik on worker1 go on with no issue of
    any kind, not one worker container is replaced, and the manager rejoins by itself."""
    cluster = three_managers
    manager = cluster.layout.manager
    edge = cluster.layout.workers[0]
    before = _worker_containers(cluster)
    assert all(before.values()), before

    async def scenario() -> tuple[Conversations, dict[str, Any]]:
        talk = asyncio.create_task(
            cluster.converse("manager-restart", clients=2, duration_s=45, turns=3, edge=edge)
        )
        await cluster.wait_for_in_use(2, talk)
        await asyncio.sleep(3.0)  # well into the conversations
        figures = await asyncio.to_thread(_restart_manager, cluster, edge)
        return await talk, figures

    try:
        talked, figures = asyncio.run(scenario())
    finally:
        if engine_pid(manager) is None:
            start_engine(manager, cluster.layout.registry)
    after = _worker_containers(cluster)
    rows = cluster.nodes()
    standing = {name: row["manager_status"] for name, row in rows.items()}
    figures |= {
        "conversations": talked.conversations,
        "replies": talked.replies,
        "dropped": len({i.conversation for i in talked.report.levels[0].issues}),
        "worker_containers_replaced": sum(len(before[n] - after[n]) for n in before),
    }
    cluster.record("manager_engine_restarted", figures)

    assert talked.issues == [], "a conversation suffered while the manager was down"
    assert talked.replies >= 3, "the conversations went on while the manager was down"
    assert after == before, "a worker's task was restarted when the manager's engine restarted"
    assert node_state(cluster.layout, manager) == "ready"
    assert sorted(standing.values()) == ["leader", "reachable", "reachable"], standing


def _restart_manager(cluster: Cluster, edge: testbed_layout.TestBedNode) -> dict[str, Any]:
    """Kill the manager's engine (its containers die with it); time how long the other
    managers take to lead the swarm again, and the edge to answer healthy (it should never
    stop); start the engine again after MANAGER_DOWN_S and wait for it to rejoin."""
    manager = cluster.layout.manager
    killed = time.monotonic()
    stop_engine(manager, signal.SIGKILL)
    asyncio.run(cluster.wait_until_healthy(timeout_s=10, url=cluster.edge_url(edge)))
    healthy = time.monotonic()
    survivors = {node.hostname for node in cluster.layout.workers}
    leader = _wait_for_quorum(edge, survivors)
    elected = time.monotonic()
    time.sleep(max(0.0, MANAGER_DOWN_S - (elected - killed)))
    started = time.monotonic()
    start_engine(manager, cluster.layout.registry)
    wait_until_ready(cluster.layout, manager, NODE_BACK_TIMEOUT_S)
    _wait_for_quorum(edge, {node.hostname for node in cluster.layout.nodes})
    return {
        "leader_while_down": leader,
        "leader_elected_s": round(elected - killed, 1),
        "edge_healthy_while_down_s": round(healthy - killed, 1),
        "manager_down_s": round(started - killed, 1),
        "rejoined_s": round(time.monotonic() - started, 1),
    }


def _wait_for_quorum(asked: testbed_layout.TestBedNode, reachable: set[str]) -> str:
    """Until, as `asked` (a manager) sees it, the swarm has a leader and the `reachable`
    managers are all reachable; the leader's hostname. A swarm without quorum answers no
    node listing at all."""
    deadline = time.monotonic() + QUORUM_TIMEOUT_S
    while True:
        try:
            listed = docker(
                asked, "node", "ls", "--format", "{{.Hostname}} {{.ManagerStatus}}", timeout=10
            )
        except (SwarmError, subprocess.TimeoutExpired) as error:
            listed = str(error)
        standing = dict(line.split(" ", 1) for line in listed.splitlines() if " " in line)
        leaders = [name for name, status in standing.items() if status == "Leader"]
        fine = {name for name, status in standing.items() if status in ("Leader", "Reachable")}
        if leaders and reachable <= fine:
            return leaders[0]
        assert time.monotonic() < deadline, f"no quorum as {asked.hostname} sees it: {listed}"
        time.sleep(0.5)


def _demote(asking: testbed_layout.TestBedNode, hostnames: set[str]) -> None:
    """Demote each node back to a worker, the leader last. A leader demoting itself hands
    its leadership over first, and the request may come back as an error although it went
    through ("node lost leader status"): each demotion is checked, and tried again."""

    def standing(hostname: str) -> str:
        try:
            shown = docker(asking, "node", "inspect", "--format", ROLE_AND_STANDING, hostname)
        except (SwarmError, subprocess.TimeoutExpired):
            return "unknown"
        return shown.strip()

    deadline = time.monotonic() + QUORUM_TIMEOUT_S
    for hostname in sorted(hostnames, key=lambda h: standing(h).endswith("true")):
        while not standing(hostname).startswith("worker"):
            with contextlib.suppress(SwarmError, subprocess.TimeoutExpired):
                docker(asking, "node", "demote", hostname, timeout=30)
            assert time.monotonic() < deadline, f"{hostname} stays a manager"
            time.sleep(1.0)


def _worker_containers(cluster: Cluster) -> dict[str, set[str]]:
    """The stack's containers each worker runs, by ID."""
    label = f"label=com.docker.stack.namespace={cluster.stack}"
    return {
        node.name: set(docker(node, "ps", "--quiet", "--no-trunc", "--filter", label).split())
        for node in cluster.layout.workers
    }
