"""`unmute-ops autoscale`: keep the backend and speech replicas within bounds, following the
capacity in use that their metrics report (see `autoscale_policy` for the rule).

Runs until stopped, one reading per interval; `--once` makes a single reading (for cron or
a check), `--dry-run` only says what it would do. Services whose servers report no capacity
(moshi-server) are held at their bounds."""

from __future__ import annotations

import json
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING, Annotated

import typer

from ops.swarm.autoscale_policy import Bounds, Decision, Policy, Reading, decide
from ops.swarm.capacity import read_load
from ops.swarm.cli_options import Json, Stack, console, errors, fail
from ops.swarm.engine import (
    DEFAULT_STACK,
    SwarmError,
    connect,
    desired_replicas,
    name_of,
    scale_service,
    short_name,
    stack_services,
)

if TYPE_CHECKING:
    import docker


def _reading_errors() -> tuple[type[Exception], ...]:
    """What a reading may fail with: ours, the SDK's, and its transport's (a manager that
    went away mid-request)."""
    from docker.errors import DockerException
    from requests import RequestException

    return (SwarmError, DockerException, RequestException)


DEFAULT_INTERVAL_S = 15.0  # Prometheus-like cadence: fast enough for arrivals, cheap to read


@dataclass
class ScaledService:
    service: str
    bounds: Bounds
    calm_streak: int = 0


def evaluate(
    client: docker.DockerClient,
    stack: str,
    managed: list[ScaledService],
    policy: Policy,
    dry_run: bool,
) -> list[dict[str, object]]:
    """One reading: decide each managed service, apply changes unless `dry_run`."""
    services = {short_name(stack, name_of(s)): s for s in stack_services(client, stack)}
    load = read_load(client, stack)
    report: list[dict[str, object]] = []
    for entry in managed:
        service = services.get(entry.service)
        replicas = desired_replicas(service) if service is not None else None
        if service is None or replicas is None:
            continue
        service_load = load.get(entry.service)
        reading = Reading(
            replicas=replicas,
            in_use=service_load.in_use if service_load else 0,
            capacity=service_load.capacity if service_load else 0,
            reporting=len(service_load.tasks) if service_load else 0,
        )
        decision: Decision = decide(reading, entry.bounds, policy, entry.calm_streak)
        entry.calm_streak = decision.calm_streak
        if decision.changes(replicas) and not dry_run:
            scale_service(client, service, decision.target)
        report.append(
            {
                "service": entry.service,
                "replicas": replicas,
                "target": decision.target,
                "in_use": reading.in_use,
                "capacity": reading.capacity,
                "reason": decision.reason,
                "applied": decision.changes(replicas) and not dry_run,
            }
        )
    return report


def autoscale(
    stack: Stack = DEFAULT_STACK,
    backend_min: Annotated[int, typer.Option(min=1)] = 1,
    backend_max: Annotated[int, typer.Option(min=1)] = 10,
    stt_min: Annotated[int, typer.Option(min=1)] = 1,
    stt_max: Annotated[int, typer.Option(min=1)] = 4,
    tts_min: Annotated[int, typer.Option(min=1)] = 1,
    tts_max: Annotated[int, typer.Option(min=1)] = 4,
    scale_up_at: Annotated[float, typer.Option(help="Share in use that adds replicas.")] = (
        Policy.scale_up_at
    ),
    scale_down_at: Annotated[float, typer.Option(help="Share in use that is calm.")] = (
        Policy.scale_down_at
    ),
    calm_readings: Annotated[
        int, typer.Option(min=1, help="Calm readings in a row before removing a replica.")
    ] = Policy.calm_readings,
    interval: Annotated[float, typer.Option(min=1.0, help="Seconds between readings.")] = (
        DEFAULT_INTERVAL_S
    ),
    once: Annotated[bool, typer.Option(help="One reading, then exit.")] = False,
    dry_run: Annotated[bool, typer.Option(help="Say what would change; change nothing.")] = (False),
    as_json: Json = False,
) -> None:
    """Keep backend, STT and TTS replicas within bounds from the capacity in use."""
    try:
        policy = Policy(scale_up_at, scale_down_at, calm_readings)
        managed = [
            ScaledService("backend", Bounds(backend_min, backend_max)),
            ScaledService("stt", Bounds(stt_min, stt_max)),
            ScaledService("tts", Bounds(tts_min, tts_max)),
        ]
    except ValueError as error:
        fail(str(error))
    try:
        client = connect()
        reading_errors = _reading_errors()
        while True:
            try:
                lines = evaluate(client, stack, managed, policy, dry_run)
            except reading_errors as error:
                if once:
                    raise SwarmError(failed_reading(error)) from error
                _show_failure(failed_reading(error), as_json)
                lines = []
            for line in lines:
                _show(line, as_json)
            if once:
                return
            time.sleep(interval)
    except SwarmError as error:
        fail(str(error))
    except KeyboardInterrupt:
        return


def failed_reading(error: Exception) -> str:
    """What went wrong with one reading, for the operator."""
    if isinstance(error, SwarmError):
        return str(error)
    return f"a request to the swarm manager failed: {error}"


def _show_failure(reason: str, as_json: bool) -> None:
    """A reading that failed: said, and the next one follows at the interval. The engine or
    a task may be restarting (a manager's engine, a backend being replaced), and the
    autoscaler is what must outlive such moments."""
    if as_json:
        print(json.dumps({"error": reason}), flush=True)
    else:
        errors.print(f"[yellow]reading failed, the next follows:[/] {reason}")


def _show(line: dict[str, object], as_json: bool) -> None:
    if as_json:
        print(json.dumps(line, sort_keys=True), flush=True)
        return
    arrow = (
        f"{line['replicas']} → {line['target']}"
        if line["target"] != line["replicas"]
        else (f"{line['replicas']}")
    )
    console.print(
        f"{line['service']}: {line['in_use']}/{line['capacity']} in use, "
        f"replicas {arrow} ({line['reason']})"
    )
