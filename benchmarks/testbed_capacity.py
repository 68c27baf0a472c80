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
import json
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import httpx

from loadtest.results import LoadTestReport
from ops.swarm.testbed_layout import plan_layout

UNMUTE_OPS = str(Path(sys.executable).with_name("unmute-ops"))
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
SUITE_ROLES = {
    "manager": ("edge", "llm"),
    "worker1": ("backend", "stt", "tts"),
    "worker2": ("backend", "stt", "tts"),
}
SERVICES = ("backend", "stt", "tts", "llm")
STAGES = ("speech_stopped", "first_transcript_word", "first_llm_word", "voice_to_voice")
LAYOUT = plan_layout(workers=2)
URL = f"https://{LAYOUT.manager.address}"


def ops(*arguments: str, stack: str) -> Any:
    environment = {**os.environ, "DOCKER_HOST": LAYOUT.manager.docker_host}
    environment |= {"UNMUTE_STACK": stack, "UNMUTE_PUBLIC_URL": URL, "UNMUTE_INSECURE_TLS": "1"}
    done = subprocess.run(
        [UNMUTE_OPS, *arguments], env=environment, capture_output=True, text=True, check=False
    )
    if done.returncode != 0 and not done.stdout:
        raise SystemExit(f"unmute-ops {' '.join(arguments)}: {done.stderr}")
    return json.loads(done.stdout) if "--json" in arguments else done.stdout


def place(roles: dict[str, tuple[str, ...]], stack: str, timeout_s: float = 600) -> None:
    """Give each node its roles, then wait until every service runs only where they say."""
    rows = {row["hostname"]: row for row in ops("nodes", "--json", stack=stack)["nodes"]}
    for name, wanted in roles.items():
        hostname = LAYOUT.node(name).hostname
        changes = [f"--role={role}" for role in wanted]
        changes += [f"--remove={r}" for r in rows[hostname]["roles"] if r not in wanted]
        if changes:
            ops("nodes", "label", hostname, *changes, "--json", stack=stack)
    allowed = {
        service: {LAYOUT.node(n).hostname for n, rs in roles.items() if service in rs}
        for service in SERVICES
    }
    deadline = time.monotonic() + timeout_s
    while True:
        rows = {row["hostname"]: row for row in ops("nodes", "--json", stack=stack)["nodes"]}
        status = {r["service"]: r for r in ops("status", "--json", stack=stack)["services"]}
        placed = all(
            {h for h, row in rows.items() if row["tasks"].get(s)} <= allowed[s]
            and status[s]["running"] == status[s]["desired"]
            for s in SERVICES
        )
        if placed and _healthy():
            return
        if time.monotonic() > deadline:
            raise SystemExit(f"the stack did not settle on {roles}")
        time.sleep(2.0)


def _healthy() -> bool:
    try:
        answer = httpx.get(f"{URL}/api/v1/health", verify=False, timeout=5)
        return answer.status_code == 200 and bool(answer.json().get("ok"))
    except (httpx.HTTPError, ValueError):
        return False


def load(out: Path, clients: int, duration_s: float, stack: str) -> LoadTestReport:
    ops(
        "loadtest", URL, "--insecure", "--clients", str(clients), "--duration", str(duration_s),
        "--turns", "3", "--pause", "0.5", "--turn-timeout", "60", "--out", str(out),
        stack=stack,
    )  # fmt: skip
    return LoadTestReport.model_validate_json((out / "results.json").read_text())


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
    try:
        for round_ in range(1, options.rounds + 1):
            for name, roles in LAYOUTS.items():
                place(roles, options.stack)
                out = options.out / f"{name.replace(' ', '-')}-{round_}"
                report = load(out, options.clients, options.duration, options.stack)
                lines.append(row(f"{name} ({round_})", report))
                print(lines[-1], flush=True)
    finally:
        place(SUITE_ROLES, options.stack)
    print("\n".join(lines))


if __name__ == "__main__":
    main()
