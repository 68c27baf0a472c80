"""`unmute-ops status`: services and their tasks, the cluster node by node (roles, the
stack's tasks, conversations and speech slots in use there), and conversations in use
against capacity as the backends' (and CPU speech servers') metrics report it."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from rich.table import Table

from ops.swarm.capacity import ServiceLoad, read_load
from ops.swarm.cli_options import Json, Stack, console, fail, print_json
from ops.swarm.convergence import snapshot
from ops.swarm.engine import (
    DEFAULT_STACK,
    SwarmError,
    connect,
    desired_replicas,
    service_image,
    short_name,
    stack_services,
)
from ops.swarm.nodes import cluster_rows, nodes_table

if TYPE_CHECKING:
    import docker


def service_rows(client: docker.DockerClient, stack: str) -> list[dict[str, Any]]:
    services = {s["Spec"]["Name"]: s for s in stack_services(client, stack)}
    rows = []
    for progress in snapshot(client, stack, None, None):
        service = services[progress.name]
        rows.append(
            {
                "service": short_name(stack, progress.name),
                "mode": "replicated" if desired_replicas(service) is not None else "global",
                "running": progress.running,
                "desired": progress.desired,
                "image": service_image(service),
                "update": progress.update_state,
                "problem": progress.problem,
            }
        )
    return rows


def load_rows(load: dict[str, ServiceLoad]) -> list[dict[str, Any]]:
    return [
        {
            "service": service_load.service,
            "in_use": service_load.in_use,
            "capacity": service_load.capacity,
            "utilisation": service_load.utilisation,
            "tasks": [task.__dict__ for task in service_load.tasks],
        }
        for service_load in load.values()
    ]


def status(stack: Stack = DEFAULT_STACK, as_json: Json = False) -> None:
    """Services, and per node: roles, tasks, conversations and speech slots in use."""
    try:
        client = connect()
        services = service_rows(client, stack)
        if not services:
            fail(f"stack {stack!r} has no services (deploy it with `unmute-ops deploy`)")
    except SwarmError as error:
        fail(str(error))
    # The load needs a probe inside the stack's network, which a drained manager cannot
    # join: then say so, and still show what the engine knows.
    read: dict[str, ServiceLoad] | None = None
    load_error: str | None = None
    try:
        read = read_load(client, stack)
    except SwarmError as error:
        load_error = str(error)
    try:
        nodes = cluster_rows(client, stack, read)
    except SwarmError as error:
        fail(str(error))
    load = None if read is None else load_rows(read)
    if as_json:
        report = {"stack": stack, "services": services, "nodes": nodes, "load": load}
        print_json({**report, "load_error": load_error})
        return
    service_columns = ("service", "mode", "tasks", "image", "update")
    console.print(_table(f"stack {stack}", services, service_columns))
    console.print(nodes_table(stack, nodes))
    if load is not None:
        console.print(_load_table(load))
    else:
        console.print(f"[yellow]in use / capacity unknown:[/] {load_error}")


def _table(title: str, rows: list[dict[str, Any]], columns: tuple[str, ...]) -> Table:
    table = Table(title=title, title_justify="left")
    for column in columns:
        table.add_column(column)
    for row in rows:
        cells = []
        for column in columns:
            if column == "tasks":
                cells.append(f"{row['running']}/{row['desired']}")
            else:
                cells.append(str(row.get(column) or ""))
        table.add_row(*cells)
    return table


def _load_table(load: list[dict[str, Any]]) -> Table:
    table = Table(title="in use / capacity", title_justify="left")
    for column in ("service", "task", "in use", "capacity"):
        table.add_column(column)
    for service in load:
        for task in service["tasks"]:
            in_use, capacity = str(task["in_use"]), str(task["capacity"])
            table.add_row(service["service"], task["address"], in_use, capacity)
        share = service["utilisation"]
        shown = f" ({share:.0%})" if share is not None else ""
        table.add_row(
            f"[bold]{service['service']}[/]",
            "all tasks",
            f"[bold]{service['in_use']}[/]",
            f"[bold]{service['capacity']}[/]{shown}",
        )
    return table
