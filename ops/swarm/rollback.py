"""`unmute-ops rollback SERVICE`: back to the service's previous definition (image, settings),
with the same rolling update as a deploy: start-first, draining, nothing dropped."""

from __future__ import annotations

import subprocess
from collections.abc import Sequence
from functools import partial
from typing import TYPE_CHECKING, Annotated

import typer

from ops.swarm.cli_options import Json, Stack, Timeout, console, fail, print_json
from ops.swarm.convergence import Outcome, wait_for_convergence
from ops.swarm.engine import (
    DEFAULT_STACK,
    SwarmError,
    connect,
    find_service,
    name_of,
    retry_stale_updates,
)

if TYPE_CHECKING:
    import docker

ROLLBACK_TIMEOUT_S = 600.0  # a backend may drain conversations for minutes


def _start_rollback(name: str) -> None:
    # The SDK has no rollback call; the CLI's is the engine's own rollback.
    result = subprocess.run(
        ["docker", "service", "rollback", "--detach", name],
        capture_output=True,
        text=True,
        check=False,
    )
    if result.returncode != 0:
        raise SwarmError(f"rollback of {name} failed: {result.stderr.strip()}")


def roll_back_services(
    client: docker.DockerClient, stack: str, services: Sequence[str], *, timeout_s: float
) -> list[str]:
    """Start a rollback of each service that has a previous definition, then wait for all.

    A service whose failed update Swarm is already rolling back (failure_action) is only
    waited for: asking again would be refused."""
    started: list[str] = []
    for name in services:
        service = find_service(client, stack, name)
        state = (service.get("UpdateStatus") or {}).get("State", "")
        if state.startswith("rollback"):
            started.append(name_of(service))
            continue
        if "PreviousSpec" not in service:
            continue
        retry_stale_updates(partial(_start_rollback, name_of(service)), "refused the rollback")
        started.append(name_of(service))
    if started:
        wait_for_convergence(client, stack, timeout_s=timeout_s, names=started, rolling_back=True)
    return started


def rollback(
    service: Annotated[str, typer.Argument(help="The service, e.g. backend.")],
    stack: Stack = DEFAULT_STACK,
    timeout: Timeout = ROLLBACK_TIMEOUT_S,
    as_json: Json = False,
) -> None:
    """Return SERVICE to its previous definition and wait until it runs again."""
    try:
        client = connect()
        target = find_service(client, stack, service)
        if "PreviousSpec" not in target:
            fail(f"{name_of(target)} has no previous definition to return to")
        done = roll_back_services(client, stack, [name_of(target)], timeout_s=timeout)
        outcome, progress = wait_for_convergence(
            client, stack, timeout_s=1.0, names=[name_of(target)], rolling_back=True
        )
    except SwarmError as error:
        fail(str(error))
    ok = outcome is Outcome.converged and bool(done)
    if as_json:
        print_json({"service": name_of(target), "ok": ok, "outcome": outcome.value})
    else:
        state = progress[0] if progress else None
        running = f" ({state.running}/{state.desired} tasks)" if state else ""
        console.print(f"{'[green]✓' if ok else '[red]✗'}[/] {name_of(target)} rolled back{running}")
    if not ok:
        raise typer.Exit(1)
