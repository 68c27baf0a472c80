"""`unmute-ops status`: services and their tasks, the swarm's nodes, and conversations in
use against capacity as the backends' (and CPU speech servers') metrics report it."""

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

if TYPE_CHECKING:
    import docker

NODE_LABEL_PREFIX = "unmute."  # placement labels the stack uses (unmute.gpu, unmute.stt…)


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


def node_rows(client: docker.DockerClient) -> list[dict[str, Any]]:
    rows = []
    for node in client.nodes.list():
        attrs = node.attrs
        labels = attrs["Spec"].get("Labels") or {}
        rows.append(
            {
                "hostname": attrs["Description"]["Hostname"],
                "role": attrs["Spec"]["Role"],
                "availability": attrs["Spec"]["Availability"],
                "state": attrs["Status"]["State"],
                "labels": {k: v for k, v in labels.items() if k.startswith(NODE_LABEL_PREFIX)},
            }
        )
    return sorted(rows, key=lambda row: str(row["hostname"]))


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
    """Services, nodes, and conversations in use against capacity."""
    try:
        client = connect()
        services = service_rows(client, stack)
        if not services:
            fail(f"stack {stack!r} has no services (deploy it with `unmute-ops deploy`)")
        nodes = node_rows(client)
    except SwarmError as error:
        fail(str(error))
    # The load needs a probe inside the stack's network, which a drained manager cannot
    # join: then say so, and still show what the engine knows.
    load: list[dict[str, Any]] | None = None
    load_error: str | None = None
    try:
        load = load_rows(read_load(client, stack))
    except SwarmError as error:
        load_error = str(error)
    if as_json:
        report = {"stack": stack, "services": services, "nodes": nodes, "load": load}
        print_json({**report, "load_error": load_error})
        return
    service_columns = ("service", "mode", "tasks", "image", "update")
    console.print(_table(f"stack {stack}", services, service_columns))
    node_columns = ("hostname", "role", "availability", "state", "labels")
    console.print(_table("nodes", nodes, node_columns))
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
            elif column == "labels":
                cells.append(" ".join(f"{k}={v}" for k, v in row["labels"].items()))
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
