"""The multi-node stack as the tests see it: node roles and placement, conversations from
the load tester's simulated browsers through Traefik on the manager (`unmute-ops` on the
manager: tests.swarm.testbed_stack), and a node struck while they talk."""

from __future__ import annotations

import asyncio
import json
import signal
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from loadtest.results import LoadTestReport
from ops.swarm.convergence import UPDATE_IN_PROGRESS
from ops.swarm.testbed import node_state, wait_until_ready
from ops.swarm.testbed_engine import engine_pid, start_engine, stop_engine
from ops.swarm.testbed_layout import TestBedNode
from ops.swarm.testbed_network import connect_node, cut_network, plugged
from tests.swarm.testbed_stack import UNMUTE_OPS, StackOnTestBed

TURN_TIMEOUT_S = 60
RESCHEDULE_TIMEOUT_S = 240.0
NODE_BACK_TIMEOUT_S = 120.0

# The roles the stack is deployed with; a test that changes them puts these back.
DEFAULT_ROLES: dict[str, tuple[str, ...]] = {
    "manager": ("edge", "llm"),
    "worker1": ("backend", "stt", "tts"),
    "worker2": ("backend", "stt", "tts"),
}

Row = dict[str, Any]  # a node as `unmute-ops nodes --json` shows it


@dataclass(frozen=True)
class Conversations:
    """What the simulated browsers went through (one load-test level)."""

    report: LoadTestReport

    @property
    def issues(self) -> list[str]:
        return [f"{i.kind}: {i.detail}" for level in self.report.levels for i in level.issues]

    @property
    def replies(self) -> int:
        """Bot replies to what the user said, heard to their end."""
        return sum(
            1
            for level in self.report.levels
            for turn in level.turns
            if turn.kind == "reply" and turn.outcome == "completed"
        )

    @property
    def conversations(self) -> int:
        return sum(level.conversations for level in self.report.levels)


@dataclass(frozen=True)
class Struck:
    """A node struck while simulated browsers talked through the stack."""

    victim: str  # its hostname
    held: int  # what it held when struck (conversations or speech streams)
    talked: Conversations
    figures: dict[str, Any]  # the fault's own, and `struck_at` on the load tester's clock
    after: dict[str, Row]  # the nodes once the fault ran its course, before any repair

    @property
    def struck_at(self) -> float:
        """Seconds since the load test's level began."""
        return float(self.figures["struck_at"]) - self.talked.report.levels[0].monotonic_origin


@dataclass(frozen=True)
class Cluster(StackOnTestBed):
    out_dir: Path

    def record(self, fault: str, figures: dict[str, Any]) -> None:
        """A fault's figures into `node-faults.json` in the run's directory (the docs quote
        them), and printed."""
        path = self.out_dir / "node-faults.json"
        recorded = json.loads(path.read_text()) if path.is_file() else {}
        recorded[fault] = figures
        path.write_text(json.dumps(recorded, indent=2))
        print(f"{fault}: {figures} ({path})")

    def nodes(self) -> dict[str, dict[str, Any]]:
        """`unmute-ops nodes`, by hostname."""
        return {row["hostname"]: row for row in self.ops_json("nodes")["nodes"]}

    def set_roles(self, roles: dict[str, tuple[str, ...]]) -> None:
        """Give each named node exactly these roles (`unmute-ops nodes label`)."""
        for name, wanted in roles.items():
            node = self.layout.node(name)
            current = self.nodes()[node.hostname]["roles"]
            arguments = [f"--role={role}" for role in wanted]
            arguments += [f"--remove={role}" for role in current if role not in wanted]
            if arguments:
                self.ops_json("nodes", "label", node.hostname, *arguments)

    def rebalance(self, *services: str) -> None:
        """Spread the services' tasks over every node that may run them. Swarm does not move
        running tasks onto a node that gained a role; scaling down removes tasks from the
        most loaded nodes, and scaling back up places new ones on the least loaded."""
        for service in services:
            name = f"{self.stack}_{service}"
            replicas = json.loads(self.docker("service", "inspect", name))[0]["Spec"]["Mode"]
            count = replicas["Replicated"]["Replicas"]
            self.docker("service", "scale", f"{name}=1")
            self.docker("service", "scale", f"{name}={count}")

    def settle(self, wanted: dict[str, set[str]], timeout_s: float = 300) -> dict[str, set[str]]:
        """After a change of roles: until each service runs on exactly the wanted nodes,
        spreading a service's tasks again if they all landed on some of them."""
        deadline = time.monotonic() + timeout_s
        while not all(self.placement(s) <= nodes for s, nodes in wanted.items()):
            assert time.monotonic() < deadline, f"tasks stay where their roles are gone: {wanted}"
            time.sleep(2.0)
        self.rebalance(*(s for s, nodes in wanted.items() if self.placement(s) != nodes))
        return self.wait_for_placement(wanted, max(1.0, deadline - time.monotonic()))

    def placement(self, service: str) -> set[str]:
        """Hostnames of the nodes running the service's tasks."""
        return {name for name, row in self.nodes().items() if row["tasks"].get(service)}

    def wait_for_placement(
        self, wanted: dict[str, set[str]], timeout_s: float = 300
    ) -> dict[str, set[str]]:
        """Until each service runs exactly on the wanted nodes and all its tasks run."""
        deadline = time.monotonic() + timeout_s
        while True:
            rows = self.nodes()
            placed = {
                service: {name for name, row in rows.items() if row["tasks"].get(service)}
                for service in wanted
            }
            if placed == wanted and self._converged(wanted):
                return placed
            assert time.monotonic() < deadline, f"placement {placed}, wanted {wanted}"
            time.sleep(2.0)

    def _converged(self, services: dict[str, set[str]]) -> bool:
        rows = {row["service"]: row for row in self.ops_json("status")["services"]}
        # A rolling update may pass through the wanted placement on its way elsewhere.
        return all(
            rows[s]["running"] == rows[s]["desired"] and rows[s]["update"] not in UPDATE_IN_PROGRESS
            for s in services
        )

    async def converse(
        self,
        name: str,
        *,
        clients: int,
        duration_s: float,
        turns: int,
        resume: bool = False,
        edge: TestBedNode | None = None,
    ) -> Conversations:
        """Simulated browsers through Traefik (`unmute-ops loadtest`; the manager's, or the
        `edge` node's), in the background; with `resume`, one whose connection drops
        resumes its conversation with its history on a new one, as the browser app does."""
        url = self.edge_url(edge or self.layout.manager)
        await self.wait_until_healthy(url=url)
        out = self.out_dir / name
        process = await asyncio.create_subprocess_exec(
            UNMUTE_OPS,
            "loadtest",
            url,
            "--insecure",
            "--clients", str(clients),
            "--duration", str(duration_s),
            "--turns", str(turns),
            "--pause", "0.5",
            # A tiny model's greeting may ramble for 30 s of audio: heard to its end, it is
            # no dropped conversation (the load tester's default would cut it off).
            "--turn-timeout", str(TURN_TIMEOUT_S),
            "--out", str(out),
            *(["--resume"] if resume else []),
            env=self.environment(),
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.STDOUT,
        )  # fmt: skip
        output, _ = await process.communicate()
        results = out / "results.json"
        assert results.is_file(), f"the load test did not run:\n{output.decode()[-3000:]}"
        return Conversations(LoadTestReport.model_validate_json(results.read_text()))

    async def wait_for_in_use(
        self, minimum: int, talk: asyncio.Task[Any] | None = None, timeout_s: float = 180
    ) -> dict[str, Any]:
        """Until backends hold `minimum` conversations; the nodes' rows then. A load test
        (`talk`) that ends first says why (its output), instead of a bare count."""
        deadline = time.monotonic() + timeout_s
        while True:
            if talk is not None and talk.done():
                talk.result()  # raises the load test's own failure
                raise AssertionError("the load test ended before its conversations were held")
            rows = await asyncio.to_thread(self.nodes)
            held = sum((row["conversations"] or {}).get("in_use", 0) for row in rows.values())
            if held >= minimum:
                return rows
            assert time.monotonic() < deadline, f"{held} conversations, wanted {minimum}"
            await asyncio.sleep(1.0)

    def strike_busiest(
        self,
        name: str,
        *,
        clients: int,
        duration_s: float,
        turns: int,
        resume: bool = False,
        among: list[str],
        load: Callable[[Row], int],
        fault: Callable[[str], dict[str, Any]],
        repair: Callable[[str], None],
    ) -> Struck:
        """Simulated browsers talk; once each holds a conversation and is well into it, the
        node of `among` with the most `load` gets the `fault` (which returns its figures)
        while they go on; `repair` puts it back when all is over, even after a failure."""
        struck: list[str] = []

        async def scenario() -> tuple[str, int, Conversations, dict[str, Any]]:
            talk = asyncio.create_task(
                self.converse(
                    name, clients=clients, duration_s=duration_s, turns=turns, resume=resume
                )
            )
            await self.wait_for_in_use(clients, talk)
            await asyncio.sleep(3.0)  # well into the conversations
            rows = await asyncio.to_thread(self.nodes)
            victim = max(among, key=lambda node: load(rows[node]))
            assert load(rows[victim]) > 0, f"nothing to strike on {among}: {rows}"
            struck.append(victim)
            figures = await asyncio.to_thread(fault, victim)
            return victim, load(rows[victim]), await talk, figures

        try:
            victim, held, talked, figures = asyncio.run(scenario())
            after = self.nodes()
        finally:
            for victim in struck:
                repair(victim)
        return Struck(victim, held, talked, figures, after)

    def kill_node(self, victim: str, *, network: bool, moved: tuple[str, ...]) -> dict[str, Any]:
        """A node dies: its engine killed (its containers die with it), or its cable cut (they
        live on, unreachable). Times how long the manager takes to call it down, and to run
        the `moved` services' tasks on the other workers only."""
        node = self.layout.node(victim)
        struck = time.monotonic()  # the load tester's clock too (one host, CLOCK_MONOTONIC)
        cut_network(node) if network else stop_engine(node, signal.SIGKILL)
        while node_state(self.layout, node) != "down":
            assert time.monotonic() - struck < RESCHEDULE_TIMEOUT_S, f"{victim} never seen down"
            time.sleep(0.2)
        noticed = time.monotonic()
        survivors = {w.hostname for w in self.layout.workers} - {victim}
        self.wait_for_placement({s: survivors for s in moved}, timeout_s=RESCHEDULE_TIMEOUT_S)
        return {
            "struck_at": struck,
            "noticed_down_s": round(noticed - struck, 1),
            "rescheduled_s": round(time.monotonic() - struck, 1),
        }

    def revive(self, name: str) -> None:
        """A struck node back as after a repair: its cable plugged in, its engine started,
        and the manager seeing it ready."""
        node = self.layout.node(name)
        if not plugged(node):
            connect_node(node)
        if engine_pid(node) is None:
            start_engine(node, self.layout.registry)
        if node_state(self.layout, node) != "ready":
            wait_until_ready(self.layout, node, NODE_BACK_TIMEOUT_S)
