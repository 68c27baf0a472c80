"""`unmute-ops drain NODE`: move every task off a node before maintenance.

Swarm reschedules the node's tasks elsewhere and stops the old ones as in a rolling update,
so backends drain their conversations (`stop_grace_period`) instead of cutting them.
`--activate` puts the node back into service."""

from __future__ import annotations

import time
from typing import TYPE_CHECKING, Annotated

import typer
from rich.status import Status

from ops.swarm.cli_options import Json, Timeout, console, fail, print_json
from ops.swarm.engine import SwarmError, connect, node_tasks, update_node_spec

if TYPE_CHECKING:
    import docker
    from docker.models.nodes import Node

DRAIN_TIMEOUT_S = 600.0  # backends may take their whole drain grace period
POLL_INTERVAL_S = 1.0
LIVE_TASK_STATES = frozenset(
    {"new", "pending", "assigned", "accepted", "preparing", "starting", "running"}
)


def find_node(client: docker.DockerClient, wanted: str) -> Node:
    for node in client.nodes.list():
        if wanted in (node.id, node.attrs["Description"]["Hostname"]):
            return node
    names = ", ".join(str(n.attrs["Description"]["Hostname"]) for n in client.nodes.list())
    raise SwarmError(f"no node {wanted!r} in this swarm (nodes: {names})")


def set_availability(client: docker.DockerClient, node: Node, availability: str) -> None:
    update_node_spec(client, str(node.id), lambda spec: spec.update(Availability=availability))


def live_tasks(client: docker.DockerClient, node: Node) -> int:
    """Tasks whose containers still exist on the node (draining ones included)."""
    tasks = node_tasks(client, str(node.id))
    return sum(1 for t in tasks if t["Status"]["State"] in LIVE_TASK_STATES)


def drain(
    node: Annotated[str, typer.Argument(help="The node's hostname or ID.")],
    activate: Annotated[bool, typer.Option(help="Undo: take tasks again.")] = False,
    wait: Annotated[bool, typer.Option(help="Wait until the node runs no task.")] = True,
    timeout: Timeout = DRAIN_TIMEOUT_S,
    as_json: Json = False,
) -> None:
    """Drain NODE (its tasks move elsewhere, conversations finish first), or --activate it."""
    try:
        client = connect()
        target = find_node(client, node)
        hostname = str(target.attrs["Description"]["Hostname"])
        set_availability(client, target, "active" if activate else "drain")
        remaining = 0
        if wait and not activate:
            remaining = _wait_until_empty(client, target, timeout, quiet=as_json)
    except SwarmError as error:
        fail(str(error))
    ok = remaining == 0
    state = "active" if activate else "drain"
    if as_json:
        print_json({"node": hostname, "availability": state, "tasks_left": remaining, "ok": ok})
    elif activate:
        console.print(f"[green]✓[/] {hostname} takes tasks again")
    else:
        mark = "[green]✓[/]" if ok else "[red]✗[/]"
        console.print(f"{mark} {hostname} drained" + ("" if ok else f": {remaining} tasks left"))
    if not ok:
        raise typer.Exit(1)


def _wait_until_empty(
    client: docker.DockerClient, node: Node, timeout_s: float, quiet: bool
) -> int:
    deadline = time.monotonic() + timeout_s
    status = None if quiet else Status("draining…", console=console)
    if status is not None:
        status.start()
    try:
        while (left := live_tasks(client, node)) and time.monotonic() < deadline:
            if status is not None:
                status.update(f"draining: {left} task(s) still on the node")
            time.sleep(POLL_INTERVAL_S)
    finally:
        if status is not None:
            status.stop()
    return left
