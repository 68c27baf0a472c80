"""The stack at its backends' capacity on the multi-node test bed, spread over three nodes
and gathered on one, alternately: the same engines, images and deployment, only the
placement differs (roles moved with `unmute-ops nodes label`).

    # a test bed with the stack deployed, left up by the multi-node suite:
    UNMUTE_TESTBED_KEEP=1 .venv/bin/pytest tests/multinode/test_placement.py
    .venv/bin/python -m benchmarks.testbed_capacity --rounds 2 --out /tmp/capacity
    .venv/bin/unmute-ops testbed down

Prints per-stage latencies (p50 / p95, ms) for each run and the roles are put back as the
suite deployed them.
"""

from __future__ import annotations

import argparse
import asyncio
from pathlib import Path

from loadtest.results import LoadTestReport
from ops.swarm.testbed_layout import plan_layout
from tests.multinode.cluster import DEFAULT_ROLES, Cluster

ALL_ROLES = ("edge", "llm", "backend", "stt", "tts")
# Backend, speech and the LLM each on a node of their own, and all of it on one node.
LAYOUTS: dict[str, dict[str, tuple[str, ...]]] = {
    "three nodes": {
        "manager": ("edge", "llm"),
        "worker1": ("backend",),
        "worker2": ("stt", "tts"),
    },
    "one node": {"manager": ALL_ROLES, "worker1": (), "worker2": ()},
}
SERVICES = ("backend", "stt", "tts", "llm")
STAGES = ("speech_stopped", "first_transcript_word", "first_llm_word", "voice_to_voice")


def place(cluster: Cluster, roles: dict[str, tuple[str, ...]]) -> None:
    """Give each node its roles, and wait until each service runs on exactly the nodes that
    carry its role (spread again over them when Swarm gathered its tasks on some)."""
    cluster.set_roles(roles)
    wanted = {
        service: {cluster.layout.node(n).hostname for n, rs in roles.items() if service in rs}
        for service in SERVICES
    }
    cluster.settle(wanted, timeout_s=600)


def row(name: str, report: LoadTestReport) -> str:
    level = report.levels[0]
    assert level.summary is not None
    cells = []
    for stage in STAGES:
        summary = level.summary.stages.get(stage)
        if summary is None or summary.p50 is None or summary.p95 is None:
            cells.append("-")
        else:
            cells.append(f"{summary.p50 * 1000:.0f} / {summary.p95 * 1000:.0f}")
    replies = level.summary.turns.get("reply", 0)
    refused = level.summary.issues_by_kind.get("refused", 0)
    tail = f"{level.conversations}, {replies}, {refused}"
    return f"| {name} | {' | '.join(cells)} | {tail} |"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--clients", type=int, default=8, help="8: two backends' seats")
    parser.add_argument("--duration", type=float, default=60.0, help="seconds of each run")
    parser.add_argument("--stack", default="unmutemn", help="the deployed stack's name")
    parser.add_argument("--out", type=Path, default=Path("testbed-capacity"))
    options = parser.parse_args()
    lines = [
        f"| placement (round) | {' | '.join(STAGES)} | conversations, replies, refused |",
        "|---" * (len(STAGES) + 2) + "|",
    ]
    cluster = Cluster(plan_layout(workers=2), options.stack, (), options.out)
    options.out.mkdir(parents=True, exist_ok=True)
    try:
        for round_ in range(1, options.rounds + 1):
            for name, roles in LAYOUTS.items():
                place(cluster, roles)
                talked = asyncio.run(
                    cluster.converse(
                        f"{name.replace(' ', '-')}-{round_}",
                        clients=options.clients,
                        duration_s=options.duration,
                        turns=3,
                    )
                )
                lines.append(row(f"{name} ({round_})", talked.report))
                print(lines[-1], flush=True)
    finally:
        place(cluster, DEFAULT_ROLES)
    print("\n".join(lines))


if __name__ == "__main__":
    main()
