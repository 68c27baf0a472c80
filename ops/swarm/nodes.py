"""`unmute-ops nodes`: the swarm's nodes with their roles, availability, state, the stack's
tasks on each, conversations and speech slots in use; `label`, `drain` and `activate` one.

Roles and their labels are described in ops.swarm.node_roles."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Annotated, Any, cast

import typer
from rich.table import Table

from ops.swarm import drain as drain_command
from ops.swarm.capacity import ServiceLoad, read_load
from ops.swarm.cli_options import Json, Stack, Timeout, console, errors, fail, print_json
from ops.swarm.cluster_view import slot_uses
from ops.swarm.drain import DRAIN_TIMEOUT_S, find_node
from ops.swarm.engine import (
    DEFAULT_STACK,
    SwarmError,
    connect,
    short_name,
    stack_services,
    update_node_spec,
)
from ops.swarm.node_roles import (
    ROLES,
    TaskPlace,
    expand_roles,
    label,
    lone_node_needs_roles,
    missing_roles,
    needed_roles,
    node_rows,
    task_places,
)

if TYPE_CHECKING:
    import docker

app = typer.Typer(
    help="The swarm's nodes: roles, load, and label, drain or activate one.",
    invoke_without_command=True,
)


def engine_nodes(client: docker.DockerClient) -> list[dict[str, Any]]:
    nodes: list[dict[str, Any]] = client.api.nodes()
    return nodes


def ensure_roles(client: docker.DockerClient, *, llm_in_stack: bool) -> list[str]:
    """Before a deploy: label a lone unlabelled node with every role; on a larger swarm,
    fail naming any role no active node carries. The roles given to a lone node."""
    nodes = engine_nodes(client)
    if lone_node_needs_roles(nodes):
        set_roles(client, str(nodes[0]["ID"]), add=list(ROLES), remove=[])
        return list(ROLES)
    missing = missing_roles(nodes, needed_roles(llm_in_stack=llm_in_stack))
    if missing:
        raise SwarmError(
            f"no active node has the role(s) {', '.join(missing)}: give a node each role, "
            f"e.g. `unmute-ops nodes label NODE --role {missing[0]}` (see docs/deployment.md)"
        )
    return []


def set_roles(
    client: docker.DockerClient, node: str, *, add: list[str], remove: list[str]
) -> list[str]:
    """Add and remove role labels; the node's roles afterwards."""
    target = find_node(client, node)

    def relabel(spec: dict[str, Any]) -> None:
        labels = dict(spec.get("Labels") or {})
        for role in remove:
            labels.pop(label(role), None)
        for role in add:
            labels[label(role)] = "true"
        spec["Labels"] = labels

    labels = update_node_spec(client, str(target.id), relabel)["Labels"]
    return [role for role in ROLES if labels.get(label(role)) == "true"]


def stack_task_places(client: docker.DockerClient, stack: str) -> list[TaskPlace]:
    """The stack's live tasks, each with its node and addresses."""
    services = {
        str(s["ID"]): short_name(stack, s["Spec"]["Name"]) for s in stack_services(client, stack)
    }
    tasks = client.api.tasks()  # type: ignore[no-untyped-call]
    return task_places(cast(list[dict[str, Any]], tasks), services)


def cluster_rows(
    client: docker.DockerClient, stack: str, load: Mapping[str, ServiceLoad] | None
) -> list[dict[str, Any]]:
    """The nodes' rows with the stack's tasks, and the load on each where it was read."""
    slots = None if load is None else slot_uses(load)
    return node_rows(engine_nodes(client), stack_task_places(client, stack), slots)


def read_rows(client: docker.DockerClient, stack: str) -> tuple[list[dict[str, Any]], str | None]:
    """The nodes' rows, and why the load is unknown when it is."""
    if not stack_services(client, stack):
        return cluster_rows(client, stack, None), f"stack {stack!r} has no services"
    try:
        load = read_load(client, stack)
    except SwarmError as error:
        return cluster_rows(client, stack, None), str(error)
    return cluster_rows(client, stack, load), None


@app.callback()
def nodes(ctx: typer.Context, stack: Stack = DEFAULT_STACK, as_json: Json = False) -> None:
    """List the nodes: roles, availability, state, tasks, conversations and speech slots."""
    if ctx.invoked_subcommand is not None:
        return
    try:
        rows, load_error = read_rows(connect(), stack)
    except SwarmError as error:
        fail(str(error))
    if as_json:
        print_json({"stack": stack, "nodes": rows, "load_error": load_error})
        return
    console.print(nodes_table(stack, rows))
    if load_error:
        console.print(f"[yellow]conversations and slots unknown:[/] {load_error}")


@app.command("label")
def label_command(
    node: Annotated[str, typer.Argument(help="The node's hostname or ID.")],
    role: Annotated[
        list[str] | None,
        typer.Option(
            "--role", help=f"Add a role ({', '.join(ROLES)}, or speech).", show_default=False
        ),
    ] = None,
    remove: Annotated[
        list[str] | None, typer.Option("--remove", help="Remove a role.", show_default=False)
    ] = None,
    as_json: Json = False,
) -> None:
    """Give NODE roles (`--role backend --role speech`) or take them (`--remove llm`)."""
    try:
        add, take = expand_roles(role or []), expand_roles(remove or [])
    except ValueError as error:
        fail(str(error))
    if not add and not take:
        fail("say which roles to add (--role) or remove (--remove)")
    try:
        roles = set_roles(connect(), node, add=add, remove=take)
    except SwarmError as error:
        fail(str(error))
    if as_json:
        print_json({"node": node, "roles": roles})
    else:
        console.print(f"{node}: {', '.join(roles) or 'no role'}")
        if take:
            errors.print("[dim]Swarm moves tasks whose placement the node no longer meets.[/]")


@app.command("drain")
def drain_node(
    node: Annotated[str, typer.Argument(help="The node's hostname or ID.")],
    wait: Annotated[bool, typer.Option(help="Wait until the node runs no task.")] = True,
    timeout: Timeout = DRAIN_TIMEOUT_S,
    as_json: Json = False,
) -> None:
    """Move every task off NODE; its backends finish their conversations first."""
    drain_command.drain(node, activate=False, wait=wait, timeout=timeout, as_json=as_json)


@app.command("activate")
def activate_node(
    node: Annotated[str, typer.Argument(help="The node's hostname or ID.")],
    as_json: Json = False,
) -> None:
    """Put NODE back into service: Swarm places new tasks on it again."""
    drain_command.drain(node, activate=True, wait=False, timeout=DRAIN_TIMEOUT_S, as_json=as_json)


def nodes_table(stack: str, rows: list[dict[str, Any]]) -> Table:
    table = Table(title=f"nodes (stack {stack})", title_justify="left")
    columns = ("node", "roles", "availability", "state", "tasks", "conversations", "stt", "tts")
    for column in columns:
        table.add_column(column)
    for row in rows:
        standing = row.get("manager_status") or "manager"
        name = f"{row['hostname']} ({standing})" if row["manager"] else str(row["hostname"])
        tasks = " ".join(f"{service}×{count}" for service, count in row["tasks"].items())
        table.add_row(
            name,
            ",".join(row["roles"]) or "-",
            str(row["availability"]),
            str(row["state"]),
            tasks or "-",
            _share(row["conversations"]),
            _share(row["stt_slots"]),
            _share(row["tts_slots"]),
        )
    return table


def _share(use: dict[str, int] | None) -> str:
    return "-" if use is None else f"{use['in_use']}/{use['capacity']}"
