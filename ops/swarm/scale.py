"""`unmute-ops scale SERVICE N`: set a service's replica count and wait until it runs.

Scaling down stops tasks the way an update does: a backend drains its conversations first
(`stop_grace_period`), so nothing in progress is cut."""

from __future__ import annotations

from typing import Annotated

import typer

from ops.swarm.cli_options import Json, Stack, Timeout, console, fail, print_json
from ops.swarm.convergence import Outcome, ServiceProgress, wait_for_convergence
from ops.swarm.engine import (
    DEFAULT_STACK,
    SwarmError,
    connect,
    desired_replicas,
    find_service,
    name_of,
    scale_service,
)

SCALE_TIMEOUT_S = 300.0  # new speech tasks load models; a CPU stack scales in seconds


def scale(
    service: Annotated[str, typer.Argument(help="The service, e.g. backend, stt, tts.")],
    replicas: Annotated[int, typer.Argument(min=0, help="How many tasks it should run.")],
    stack: Stack = DEFAULT_STACK,
    wait: Annotated[bool, typer.Option(help="Wait until the tasks run.")] = True,
    timeout: Timeout = SCALE_TIMEOUT_S,
    as_json: Json = False,
) -> None:
    """Run REPLICAS tasks of SERVICE."""
    try:
        client = connect()
        target = find_service(client, stack, service)
        before = desired_replicas(target)
        scale_service(client, target, replicas)
        outcome, progress = Outcome.converged, list[ServiceProgress]()
        if wait:
            outcome, progress = wait_for_convergence(
                client, stack, timeout_s=timeout, names=[name_of(target)]
            )
    except SwarmError as error:
        fail(str(error))
    running = progress[0].running if progress else None
    ok = outcome is Outcome.converged
    if as_json:
        print_json(
            {
                "service": name_of(target),
                "replicas": replicas,
                "previous": before,
                "running": running,
                "outcome": outcome.value,
                "ok": ok,
            }
        )
    else:
        detail = f"{running}/{replicas} running" if running is not None else "scaling"
        console.print(f"{'[green]✓' if ok else '[red]✗'}[/] {name_of(target)}: {detail}")
    if not ok:
        raise typer.Exit(1)
