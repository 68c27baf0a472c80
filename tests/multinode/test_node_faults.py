"""Faults across nodes with live conversations through Traefik (the load tester's simulated
browsers): a speech node dies or is cut off mid-conversation, a backend node is drained. No
conversation is dropped. The times to notice a dead node and to reschedule its tasks are written to
`node-faults.json` in the run's directory (docs/deployment.md quotes them)."""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

import pytest

from tests.multinode.cluster import Cluster

pytestmark = [pytest.mark.integration, pytest.mark.slow, pytest.mark.timeout(1800)]

SPEECH_NOTICE = "error_event: warning:"


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
    _strike_a_speech_node(speech_on_workers, "speech_node_killed", network=False)


def test_a_speech_nodes_cable_is_cut_and_its_conversation_goes_on_on_another(
    speech_on_workers: Cluster,
) -> None:
    """No reset reaches the backend from a node cut off: its streams there fall silent, and
    the backend calls them stalled (STT after 1 s, TTS after 2 s) and opens others."""
    _strike_a_speech_node(speech_on_workers, "speech_node_cut", network=True)


def _strike_a_speech_node(cluster: Cluster, fault: str, *, network: bool) -> None:
    struck = cluster.strike_busiest(
        fault.replace("_", "-"),
        clients=2,
        duration_s=75,
        turns=4,
        among=[node.hostname for node in cluster.layout.workers],
        load=_speech_in_use,
        fault=lambda victim: cluster.kill_node(victim, network=network, moved=("stt", "tts")),
        repair=cluster.revive,
    )
    talked = struck.talked
    # The user may be told that recognition was interrupted and is back: a notice, not a
    # failure. Anything else (a dropped call, a turn never answered, an error) fails.
    notices = [issue for issue in talked.issues if issue.startswith(SPEECH_NOTICE)]
    level = talked.report.levels[0]
    # The notice is sent once the conversation's speech runs on another server again.
    back = [
        i.at - struck.struck_at
        for i in level.issues
        if f"{i.kind}: {i.detail}".startswith(SPEECH_NOTICE)
    ]
    figures = {k: v for k, v in struck.figures.items() if k != "struck_at"}
    figures |= {"notices": len(notices), "notice_after_s": round(min(back), 1) if back else 0}
    figures |= {"conversations": talked.conversations, "replies": talked.replies}
    cluster.record(fault, figures)

    assert [i for i in talked.issues if i not in notices] == [], "a conversation suffered"
    assert talked.replies >= 4, "the conversations went on after the node died"


def _speech_in_use(row: dict[str, Any]) -> int:
    """Streams the node's STT and TTS servers hold now."""
    return sum((row[slots] or {}).get("in_use", 0) for slots in ("stt_slots", "tts_slots"))


def test_a_drained_backend_node_drops_no_conversation(default_roles: Cluster) -> None:
    cluster = default_roles
    workers = {node.hostname for node in cluster.layout.workers}
    # Speech on both workers too: a node that died earlier left every speech task on the
    # other, and draining that one would leave the conversations no STT for a while.
    cluster.settle({"backend": workers, "stt": workers, "tts": workers})
    cluster.wait_for_routed_backends(2)

    def drain(victim: str) -> dict[str, Any]:
        started = time.monotonic()
        drained = cluster.ops_json("nodes", "drain", victim)
        return {**drained, "drain_s": round(time.monotonic() - started, 1)}

    struck = cluster.strike_busiest(
        "drain-backend-node",
        clients=2,
        duration_s=60,
        turns=3,
        among=sorted(workers),
        load=lambda row: (row["conversations"] or {}).get("in_use", 0),
        fault=drain,
        repair=lambda victim: cluster.ops_json("nodes", "activate", victim),
    )
    cluster.record("backend_node_drained", {"drain_s": struck.figures["drain_s"]})

    talked = struck.talked
    assert struck.figures["ok"] and struck.figures["tasks_left"] == 0
    notices = [issue for issue in talked.issues if issue.startswith(SPEECH_NOTICE)]
    assert [i for i in talked.issues if i not in notices] == [], "a conversation was dropped"
    assert talked.replies >= 3
    assert struck.after[struck.victim]["tasks"] == {}, "the drained node still runs tasks"
    survivor = (workers - {struck.victim}).pop()
    assert struck.after[survivor]["tasks"].get("backend") == 2, "new conversations land elsewhere"
