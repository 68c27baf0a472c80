"""Has the swarm done what it was asked? Per service: tasks running the current spec against
the replicas wanted, the state of a rolling update, and the latest task error.

`assess` is pure (engine JSON in, verdict out); `wait_for_convergence` polls the engine and
reports progress, which `progress_table` shows."""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum
from typing import TYPE_CHECKING

from rich.table import Table

from ops.swarm.engine import (
    ServiceInfo,
    TaskInfo,
    desired_replicas,
    name_of,
    service_image,
    service_tasks,
    stack_services,
)

if TYPE_CHECKING:
    import docker

POLL_INTERVAL_S = 1.0
# Swarm's words for an update that went wrong (failure_action rollback or pause).
FAILED_UPDATE_STATES = frozenset(
    {"paused", "rollback_started", "rollback_paused", "rollback_completed"}
)
UPDATE_IN_PROGRESS = frozenset({"updating", "rollback_started"})
ROLLBACK_FAILED_STATES = frozenset({"rollback_paused"})
TASK_FAILURES = frozenset({"failed", "rejected", "orphaned"})
# Tasks of one service that failed since the deploy while none runs: it will not start by
# itself (a crash at startup, a missing image), so stop waiting and report why.
CRASH_LOOP_FAILURES = 3


class Outcome(StrEnum):
    converged = "converged"
    failed = "failed"
    timed_out = "timed out"


@dataclass(frozen=True)
class ServiceProgress:
    name: str
    desired: int
    running: int
    update_state: str | None
    problem: str | None
    rolling_back: bool = False  # a rollback was asked for: its completion is success
    failures: int = 0  # tasks that failed since the deploy

    @property
    def crash_looping(self) -> bool:
        return self.failures >= CRASH_LOOP_FAILURES and self.running == 0 < self.desired

    @property
    def failed(self) -> bool:
        if self.crash_looping:
            return True
        if self.rolling_back:
            return self.update_state in ROLLBACK_FAILED_STATES
        return self.update_state in FAILED_UPDATE_STATES

    @property
    def converged(self) -> bool:
        settled = self.update_state not in UPDATE_IN_PROGRESS
        return settled and not self.failed and self.running >= self.desired


def parse_time(stamp: str) -> datetime:
    """The engine's RFC 3339 time with nanoseconds, to a datetime (microseconds)."""
    head, _, fraction = stamp.rstrip("Z").partition(".")
    fraction = (fraction.split("+")[0] + "000000")[:6]
    return datetime.fromisoformat(f"{head}.{fraction}").replace(tzinfo=UTC)


def assess(
    service: ServiceInfo,
    tasks: Sequence[TaskInfo],
    since: datetime | None,
    rolling_back: bool = False,
) -> ServiceProgress:
    """Where the service stands; update states and errors older than `since` are ignored."""
    image = service_image(service)
    current = [
        t
        for t in tasks
        if t.get("DesiredState") == "running"
        and t["Spec"]["ContainerSpec"]["Image"].split("@", 1)[0] == image
    ]
    running = sum(1 for t in current if t["Status"]["State"] == "running")
    wanted = desired_replicas(service)
    if wanted is None:  # global: one task per eligible node
        wanted = sum(1 for t in tasks if t.get("DesiredState") == "running")
    update = service.get("UpdateStatus") or {}
    update_state: str | None = update.get("State")
    started = update.get("StartedAt")
    if since is not None and started and parse_time(started) < since:
        update_state = None
    failures = _failures(tasks, since)
    return ServiceProgress(
        name_of(service),
        wanted,
        running,
        update_state,
        _latest_problem(failures),
        rolling_back,
        len(failures),
    )


def _failures(tasks: Sequence[TaskInfo], since: datetime | None) -> list[TaskInfo]:
    return [
        t
        for t in tasks
        if t["Status"]["State"] in TASK_FAILURES
        and (since is None or parse_time(t["Status"]["Timestamp"]) >= since)
    ]


def _latest_problem(failures: Sequence[TaskInfo]) -> str | None:
    if not failures:
        return None
    latest = max(failures, key=lambda t: parse_time(t["Status"]["Timestamp"]))
    status = latest["Status"]
    return str(status.get("Err") or status.get("Message") or status["State"])


def snapshot(
    client: docker.DockerClient,
    stack: str,
    names: Sequence[str] | None,
    since: datetime | None,
    rolling_back: bool = False,
) -> list[ServiceProgress]:
    services = [s for s in stack_services(client, stack) if names is None or name_of(s) in names]
    return [assess(s, service_tasks(client, s), since, rolling_back) for s in services]


def wait_for_convergence(
    client: docker.DockerClient,
    stack: str,
    *,
    timeout_s: float,
    names: Sequence[str] | None = None,
    since: datetime | None = None,
    rolling_back: bool = False,
    on_progress: Callable[[list[ServiceProgress]], None] = lambda _: None,
) -> tuple[Outcome, list[ServiceProgress]]:
    """Poll until every (named) service converged, one failed, or the time is up."""
    deadline = time.monotonic() + timeout_s
    while True:
        progress = snapshot(client, stack, names, since, rolling_back)
        on_progress(progress)
        if progress and any(p.failed for p in progress):
            return Outcome.failed, progress
        if progress and all(p.converged for p in progress):
            return Outcome.converged, progress
        if time.monotonic() >= deadline:
            return Outcome.timed_out, progress
        time.sleep(POLL_INTERVAL_S)


def progress_table(progress: Sequence[ServiceProgress], stack: str) -> Table:
    table = Table(title=f"stack {stack}", title_justify="left")
    for column in ("service", "tasks", "update", "latest problem"):
        table.add_column(column)
    for p in progress:
        mark = "[green]✓[/]" if p.converged else ("[red]✗[/]" if p.failed else "[yellow]…[/]")
        short = p.name.removeprefix(f"{stack}_")
        table.add_row(
            f"{mark} {short}", f"{p.running}/{p.desired}", p.update_state or "", p.problem or ""
        )
    return table
