"""Node roles place the stack across machines: a conversation whose backend, STT and TTS run
on three different nodes, reached through Traefik on a fourth role (the edge), works."""

from __future__ import annotations

import asyncio

import pytest

from tests.multinode.cluster import Cluster

pytestmark = [pytest.mark.integration, pytest.mark.slow, pytest.mark.timeout(1800)]


def test_a_conversation_runs_with_backend_stt_and_tts_on_three_nodes(
    default_roles: Cluster,
) -> None:
    cluster = default_roles
    cluster.set_roles(
        {"manager": ("edge", "llm", "tts"), "worker1": ("backend",), "worker2": ("stt",)}
    )
    manager, worker1, worker2 = (node.hostname for node in cluster.layout.nodes)
    placed = cluster.settle(
        {"backend": {worker1}, "stt": {worker2}, "tts": {manager}, "llm": {manager}}
    )
    assert len({*placed["backend"], *placed["stt"], *placed["tts"]}) == 3
    cluster.wait_for_routed_backends(2)

    talked = asyncio.run(cluster.converse("three-nodes", clients=1, duration_s=45, turns=2))

    assert talked.issues == []
    assert talked.replies >= 2, "the user was answered across the nodes"
    # The images came from the registry in the swarm: the workers pulled them.
    assert cluster.layout.registry in cluster.docker("service", "inspect", f"{cluster.stack}_stt")
