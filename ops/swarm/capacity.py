"""Conversations in use against capacity, read from every task's Prometheus metrics.

Backends report `unmute_sessions_active` and `unmute_sessions_capacity` (and the running
total `unmute_sessions_total`); CPU speech servers report `unmute_<service>_slots_in_use`
and `unmute_<service>_slots`. Servers that do not (moshi-server) are simply not counted."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from prometheus_client.parser import text_string_to_metric_families

from ops.swarm.components import BACKEND, BY_SERVICE
from ops.swarm.engine import name_of, short_name, stack_services
from ops.swarm.probe import ProbeAnswer, ProbeTarget, probe_tasks

if TYPE_CHECKING:
    import docker

SPEECH_SERVICES = ("stt", "tts")


@dataclass(frozen=True)
class TaskLoad:
    service: str
    address: str
    in_use: int
    capacity: int
    accepted_total: int | None = None  # conversations since start (backends only)


@dataclass(frozen=True)
class ServiceLoad:
    service: str
    tasks: tuple[TaskLoad, ...]

    @property
    def in_use(self) -> int:
        return sum(t.in_use for t in self.tasks)

    @property
    def capacity(self) -> int:
        return sum(t.capacity for t in self.tasks)

    @property
    def utilisation(self) -> float | None:
        """Share of capacity in use; None when nothing reports capacity."""
        return self.in_use / self.capacity if self.capacity else None


def metric_values(text: str) -> dict[str, float]:
    """Unlabelled samples of a Prometheus text page, by sample name."""
    values: dict[str, float] = {}
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            if not sample.labels:
                values[sample.name] = sample.value
    return values


def task_load(answer: ProbeAnswer) -> TaskLoad | None:
    """The load one task reports on its metrics page, if it reports one."""
    if answer.status != 200 or answer.address is None:
        return None
    try:
        values = metric_values(answer.body)
    except ValueError:
        return None
    if answer.service == BACKEND.service:
        in_use, capacity = "unmute_sessions_active", "unmute_sessions_capacity"
    else:
        prefix = f"unmute_{answer.service.replace('-', '_')}_slots"
        in_use, capacity = f"{prefix}_in_use", prefix
    if in_use not in values or capacity not in values:
        return None
    total = values.get("unmute_sessions_total")
    return TaskLoad(
        service=answer.service,
        address=answer.address,
        in_use=int(values[in_use]),
        capacity=int(values[capacity]),
        accepted_total=None if total is None else int(total),
    )


def summarise(answers: Sequence[ProbeAnswer], services: Sequence[str]) -> dict[str, ServiceLoad]:
    loads = [load for answer in answers if (load := task_load(answer)) is not None]
    return {
        service: ServiceLoad(service, tuple(t for t in loads if t.service == service))
        for service in services
    }


def read_load(client: docker.DockerClient, stack: str) -> dict[str, ServiceLoad]:
    """Load of the backend and the speech services that the stack runs."""
    present = {short_name(stack, name_of(s)) for s in stack_services(client, stack)}
    services = [s for s in (BACKEND.service, *SPEECH_SERVICES) if s in present]
    targets = []
    for service in services:
        component = BY_SERVICE[service]
        if component.metrics_path is not None:
            targets.append(ProbeTarget(service, component.port, (component.metrics_path,)))
    return summarise(probe_tasks(client, stack, targets), services)
