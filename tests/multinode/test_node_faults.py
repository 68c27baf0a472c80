"""Faults across nodes with live conversations through Traefik (the load tester's simulated
browsers): a speech node dies mid-conversation, a backend node is drained. No conversation
is dropped. The times to notice a dead node and to reschedule its tasks are written to
`node-faults.json` in the run's directory (docs/deployment.md quotes them)."""

from __future__ import annotations

import asyncio
import json
import signal
import time
from collections.abc import Iterator
from typing import Any

import pytest

from ops.swarm.testbed import node_state, wait_until_ready
from ops.swarm.testbed_engine import start_engine, stop_engine
from tests.multinode.cluster import Cluster, Conversations

pytestmark = [pytest.mark.integration, pytest.mark.slow, pytest.mark.timeout(1800)]

RESCHEDULE_TIMEOUT_S = 240.0
SPEECH_NOTICE = "error_event: warning:"
NODE_BACK_TIMEOUT_S = 120.0


@pytest.fixture
def speech_on_workers(default_roles: Cluster) -> Iterator[Cluster]:
    """Backends on the manager, speech on both workers: a worker can die under a live
    conversation's STT and TTS while its backend lives on."""
    cluster = default_roles
    cluster.set_roles(
        {
            "manager": ("edge", "llm", "backend"),
            "worker1": ("stt", "tts"),
            "worker2": ("stt", "tts"),
        }
    )
    manager, *workers = (node.hostname for node in cluster.layout.nodes)
    cluster.settle({"backend": {manager}, "stt": set(workers), "tts": set(workers)})
    cluster.wait_for_routed_backends(2)
    yield cluster


def test_a_speech_node_dies_and_its_conversation_goes_on_on_another(
    speech_on_workers: Cluster,
) -> None:
    cluster = speech_on_workers
    killed: list[str] = []

    async def scenario() -> tuple[Conversations, dict[str, float]]:
        talk = asyncio.create_task(
            cluster.converse("speech-node-dies", clients=2, duration_s=75, turns=4)
        )
        await cluster.wait_for_in_use(2, talk)
        await asyncio.sleep(3.0)  # well into the conversations
        rows = await asyncio.to_thread(cluster.nodes)
        workers = [node.hostname for node in cluster.layout.workers]
        victim = max(workers, key=lambda name: _speech_in_use(rows[name]))
        assert _speech_in_use(rows[victim]) > 0, rows
        killed.append(victim)
        figures = await asyncio.to_thread(_kill_and_time, cluster, victim)
        return await talk, figures

    try:
        talked, figures = asyncio.run(scenario())
    finally:
        for victim in killed:
            node = cluster.layout.node(victim)
            if node_state(cluster.layout, node) != "ready":
                start_engine(node, cluster.layout.registry)
                wait_until_ready(cluster.layout, node, NODE_BACK_TIMEOUT_S)
    # The user may be told that recognition was interrupted and is back: a notice, not a
    # failure. Anything else (a dropped call, a turn never answered, an error) fails.
    notices = [issue for issue in talked.issues if issue.startswith(SPEECH_NOTICE)]
    level = talked.report.levels[0]
    killed_at = figures.pop("killed_at")
    back = [level.monotonic_origin + i.at - killed_at for i in level.issues]
    figures |= {"notices": len(notices), "notice_after_s": round(min(back), 1) if back else 0}
    cluster.record("speech_node_killed", figures)

    assert [i for i in talked.issues if i not in notices] == [], "a conversation suffered"
    assert talked.replies >= 4, "the conversations went on after the node died"


def _speech_in_use(row: dict[str, Any]) -> int:
    """Streams the node's STT and TTS servers hold now."""
    return sum((row[slots] or {}).get("in_use", 0) for slots in ("stt_slots", "tts_slots"))


def _kill_and_time(cluster: Cluster, victim: str) -> dict[str, float]:
    """Kill the node's engine (all its containers die with it); time how long the manager
    takes to call it down, and to run its speech tasks elsewhere."""
    node = cluster.layout.node(victim)
    killed = time.monotonic()  # the load tester's clock too (one host, CLOCK_MONOTONIC)
    stop_engine(node, signal.SIGKILL)
    while node_state(cluster.layout, node) != "down":
        assert time.monotonic() - killed < RESCHEDULE_TIMEOUT_S, f"{victim} never seen down"
        time.sleep(0.2)
    noticed = time.monotonic()
    survivors = {w.hostname for w in cluster.layout.workers} - {victim}
    cluster.wait_for_placement({"stt": survivors, "tts": survivors}, timeout_s=RESCHEDULE_TIMEOUT_S)
    return {
        "killed_at": killed,
        "noticed_down_s": round(noticed - killed, 1),
        "rescheduled_s": round(time.monotonic() - killed, 1),
    }


def test_a_drained_backend_node_drops_no_conversation(default_roles: Cluster) -> None:
    cluster = default_roles
    workers = {node.hostname for node in cluster.layout.workers}
    cluster.settle({"backend": workers})
    cluster.wait_for_routed_backends(2)
    drained_nodes: list[str] = []

    async def scenario() -> tuple[Conversations, dict[str, Any]]:
        talk = asyncio.create_task(
            cluster.converse("drain-backend-node", clients=2, duration_s=60, turns=3)
        )
        rows = await cluster.wait_for_in_use(1, talk)
        busy = [name for name in workers if (rows[name]["conversations"] or {}).get("in_use")]
        victim = sorted(busy)[0]
        drained_nodes.append(victim)
        started = time.monotonic()
        code, out, err = await cluster.ops_async("nodes", "drain", victim, "--json")
        assert code == 0, err
        drained = {**json.loads(out), "drain_s": round(time.monotonic() - started, 1)}
        return await talk, drained

    try:
        talked, drained = asyncio.run(scenario())
        after = cluster.nodes()
    finally:
        for victim in drained_nodes:
            cluster.ops_json("nodes", "activate", victim)
    cluster.record("backend_node_drained", {"drain_s": drained["drain_s"]})

    victim = drained_nodes[0]
    assert drained["ok"] and drained["tasks_left"] == 0
    notices = [issue for issue in talked.issues if issue.startswith(SPEECH_NOTICE)]
    assert [i for i in talked.issues if i not in notices] == [], "a conversation was dropped"
    assert talked.replies >= 3
    assert after[victim]["tasks"] == {}, "the drained node still runs tasks"
    survivor = (workers - {victim}).pop()
    assert after[survivor]["tasks"].get("backend") == 2, "new conversations land elsewhere"
