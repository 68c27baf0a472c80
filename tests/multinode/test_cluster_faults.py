"""Faults of the cluster as a whole, with live conversations through Traefik (the load
tester's simulated browsers): a rolling update of the backends across nodes, and a backend's
node dying (its conversations resumed on the survivor).
Their figures go to `node-faults.json` in the run's directory (docs/deployment.md quotes
them)."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Iterator
from typing import Any

import pytest

from tests.multinode.cluster import Cluster, Conversations

pytestmark = [pytest.mark.integration, pytest.mark.slow, pytest.mark.timeout(1800)]

ROLLED_TAG = "rolled"


def test_a_rolling_update_across_nodes_drops_no_conversation(default_roles: Cluster) -> None:
    cluster = default_roles
    workers = {node.hostname for node in cluster.layout.workers}
    cluster.settle({"backend": workers})
    cluster.wait_for_routed_backends(2)
    old_image = _backend_image(cluster)
    # The same image under a new tag, in the registry the workers pull from: a new
    # definition, so Swarm replaces every backend task, one node after the other.
    repository = old_image.split("@", 1)[0].rsplit(":", 1)[0]
    cluster.docker("tag", old_image.split("@", 1)[0], f"{repository}:{ROLLED_TAG}")
    cluster.docker("push", f"{repository}:{ROLLED_TAG}")

    async def scenario() -> tuple[Conversations, dict[str, Any]]:
        talk = asyncio.create_task(
            cluster.converse("rolling-update", clients=2, duration_s=75, turns=3)
        )
        await cluster.wait_for_in_use(2, talk)
        started = time.monotonic()
        update = f"UNMUTE_BACKEND_IMAGE={repository}:{ROLLED_TAG}"
        code, out, err = await cluster.ops_async(
            *cluster.deploy_arguments, "--set", update, "--json"
        )
        assert code == 0, f"the rolling update failed:\n{out}\n{err}"
        updated = {**json.loads(out), "update_s": round(time.monotonic() - started, 1)}
        return await talk, updated

    talked, updated = asyncio.run(scenario())
    status = cluster.ops_json("status")
    backend = next(row for row in status["services"] if row["service"] == "backend")
    figures = {
        "update_s": updated["update_s"],
        "conversations": talked.conversations,
        "replies": talked.replies,
        "dropped": len(_suffered(talked)),
        "backends_on": sorted(cluster.placement("backend")),
    }
    cluster.record("rolling_update", figures)

    assert updated["ok"] is True
    assert talked.issues == [], "a conversation suffered during the update"
    assert talked.replies >= 3, "the conversations went on during the update"
    assert backend["image"].endswith(f":{ROLLED_TAG}") and backend["running"] == 2, backend


@pytest.fixture
def backends_on_workers(default_roles: Cluster) -> Iterator[Cluster]:
    """A backend on each worker and nothing else there: a worker can die with the
    conversations of its backend while the speech servers live on (on the manager)."""
    cluster = default_roles
    cluster.set_roles(
        {
            "manager": ("edge", "llm", "stt", "tts"),
            "worker1": ("backend",),
            "worker2": ("backend",),
        }
    )
    manager, *workers = (node.hostname for node in cluster.layout.nodes)
    cluster.settle({"backend": set(workers), "stt": {manager}, "tts": {manager}})
    cluster.wait_for_routed_backends(2)
    yield cluster


def test_a_backend_node_dies_and_its_conversations_resume_on_the_survivor_with_their_history(
    backends_on_workers: Cluster,
) -> None:
    """The simulated browsers resume a dropped conversation as the browser app does: a new
    connection offers the transcript as the session's history, and the backend that takes
    it (the survivor: Traefik's health check every 2 s takes the dead one out) sends back
    every offered turn."""
    cluster = backends_on_workers
    workers = [node.hostname for node in cluster.layout.workers]
    struck = cluster.strike_busiest(
        "backend-node-dies",
        clients=2,
        duration_s=60,
        turns=3,
        resume=True,
        among=workers,
        load=lambda row: (row["conversations"] or {}).get("in_use", 0),
        fault=lambda victim: cluster.kill_node(victim, network=False, moved=("backend",)),
        repair=cluster.revive,
    )
    talked = struck.talked
    level = talked.report.levels[0]
    killed_at = struck.struck_at
    began = _began(talked)
    held = {c for c, at in began.items() if at < killed_at}
    # A conversation that began after the kill may still be sent to the dead backend before
    # Traefik takes it out: it fails to start (a figure), it was never one to resume.
    late = _suffered(talked) - held
    greeted_after = [
        turn.started_at - killed_at
        for turn in level.turns
        if turn.kind == "greeting" and turn.outcome == "completed" and turn.started_at > killed_at
    ]
    resumed_after = [r.resumed_after_s for r in level.resumes if r.resumed_after_s is not None]
    figures = {k: v for k, v in struck.figures.items() if k != "struck_at"}
    figures |= {
        "held_by_victim": struck.held,
        "dropped": len(level.resumes),
        "resumed": len(resumed_after),
        "resumed_after_s": [round(s, 2) for s in resumed_after],
        "turns_offered": [r.turns_offered for r in level.resumes],
        "history_accepted": [r.history_accepted for r in level.resumes],
        "failed_after_kill": len(late),
        "of": talked.conversations,
        "first_new_greeting_after_s": round(min(greeted_after), 1) if greeted_after else None,
    }
    cluster.record("backend_node_killed", figures)

    assert 1 <= len(level.resumes) <= struck.held, "only the dead node's conversations drop"
    assert len(resumed_after) == len(level.resumes), "each dropped conversation is resumed"
    assert all(r.history_accepted for r in level.resumes), "with every turn of its history"
    suffered = [f"{i.kind}: {i.detail}" for i in level.issues if i.conversation in held]
    assert [i for i in suffered if not i.startswith("resumed")] == [], "a conversation suffered"
    assert talked.replies >= 3, "the conversations went on"
    survivor = (set(workers) - {struck.victim}).pop()
    assert struck.after[survivor]["tasks"].get("backend") == 2, "the backends run on the survivor"


def _backend_image(cluster: Cluster) -> str:
    status = cluster.ops_json("status")
    return str(next(r for r in status["services"] if r["service"] == "backend")["image"])


def _suffered(talked: Conversations) -> set[int | None]:
    """The conversations that had an issue of any kind."""
    return {i.conversation for level in talked.report.levels for i in level.issues}


def _began(talked: Conversations) -> dict[int | None, float]:
    """When each conversation's first bot turn began (seconds since the level started)."""
    began: dict[int | None, float] = {}
    for turn in talked.report.levels[0].turns:
        began[turn.conversation] = min(
            turn.started_at, began.get(turn.conversation, turn.started_at)
        )
    return began
