"""`unmute-ops health`: every component, through Traefik and task by task.

Through Traefik: what a browser gets (`/api/v1/health`, `/`). Directly: each task of each
service answers its own health route, each backend says whether it takes new conversations,
and each Traefik says which backends it routes to; the checks are then shown node by node.
Exit status 1 when anything is down, a node included; a backend that is merely full is not
down."""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Sequence
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.table import Table

from ops.swarm.cli_options import Json, Stack, console, fail, print_json
from ops.swarm.cluster_view import health_by_node, node_of_address
from ops.swarm.components import BY_SERVICE, COMPONENTS, READY_PATH, TRAEFIK_ROUTER_API
from ops.swarm.engine import DEFAULT_STACK, SwarmError, connect, name_of, short_name, stack_services
from ops.swarm.nodes import engine_nodes, stack_task_places
from ops.swarm.probe import ProbeAnswer, ProbeTarget, probe_tasks
from ops.swarm.public_checks import Check, check_public

if TYPE_CHECKING:
    import docker


def probe_targets(services: Sequence[str]) -> list[ProbeTarget]:
    targets = []
    for component in COMPONENTS:
        if component.service not in services:
            continue
        paths = [component.health_path]
        if component.service == "backend":
            paths.append(READY_PATH)
        if component.service == "traefik":
            paths.append(TRAEFIK_ROUTER_API)
        targets.append(ProbeTarget(component.service, component.port, tuple(paths)))
    return targets


def classify(answers: Sequence[ProbeAnswer]) -> list[Check]:
    """One check per task (and per Traefik's routing view) from the probe's answers."""
    by_task: dict[tuple[str, str | None], dict[str | None, ProbeAnswer]] = defaultdict(dict)
    for answer in answers:
        by_task[(answer.service, answer.address)][answer.path] = answer
    checks: list[Check] = []
    for (service, address), paths in sorted(by_task.items(), key=lambda kv: str(kv[0])):
        component = BY_SERVICE[service]
        if address is None:
            checks.append(Check(service, "-", False, "no running task"))
            continue
        checks.append(_task_check(component.service, address, paths, component.up_statuses))
        if TRAEFIK_ROUTER_API in paths:
            checks.append(_routing_check(address, paths[TRAEFIK_ROUTER_API]))
    return checks


def _task_check(
    service: str,
    address: str,
    paths: dict[str | None, ProbeAnswer],
    up_statuses: frozenset[int],
) -> Check:
    health = paths[BY_SERVICE[service].health_path]
    if health.status is None:
        return Check(service, address, False, health.error or "no answer")
    if health.status not in up_statuses:
        return Check(service, address, False, f"HTTP {health.status}")
    if service != "backend":
        return Check(service, address, True, f"HTTP {health.status}")
    try:
        body: dict[str, Any] = json.loads(health.body)
    except ValueError:
        return Check(service, address, False, "not a health answer")
    down = [k.removesuffix("_up") for k, up in body.items() if k.endswith("_up") and not up]
    ready = paths.get(READY_PATH)
    taking = "takes new conversations" if ready and ready.status == 200 else "full or draining"
    if not body.get("ok"):
        return Check(service, address, False, f"cannot reach: {', '.join(down)}; {taking}")
    return Check(service, address, True, taking)


def _routing_check(address: str, answer: ProbeAnswer) -> Check:
    if answer.status != 200:
        return Check("traefik routing", address, False, answer.error or f"HTTP {answer.status}")
    try:
        services: list[dict[str, Any]] = json.loads(answer.body)
    except ValueError:
        return Check("traefik routing", address, False, "unreadable router API answer")
    parts, ok = [], True
    for route in ("api", "site"):
        servers = next(
            (s.get("serverStatus", {}) for s in services if s.get("name") == f"{route}@swarm"),
            None,
        )
        if servers is None:
            parts.append(f"{route}: no route")
            ok = False
            continue
        up = sum(1 for state in servers.values() if state == "UP")
        parts.append(f"{route}: {up}/{len(servers)} servers up")
        ok = ok and (up > 0 or route == "api")  # all backends full is not an outage
    return Check("traefik routing", address, ok, "; ".join(parts))


def direct_checks(client: docker.DockerClient, stack: str) -> list[Check]:
    present = [short_name(stack, name_of(s)) for s in stack_services(client, stack)]
    if not present:
        raise SwarmError(f"stack {stack!r} has no services")
    return classify(probe_tasks(client, stack, probe_targets(present)))


def health(
    stack: Stack = DEFAULT_STACK,
    public_url: Annotated[
        str | None,
        typer.Option(envvar="UNMUTE_PUBLIC_URL", help="The public address (default: here)."),
    ] = None,
    https_port: Annotated[int, typer.Option(envvar="UNMUTE_HTTPS_PORT")] = 443,
    insecure: Annotated[
        bool,
        typer.Option(
            "--insecure",
            envvar="UNMUTE_INSECURE_TLS",
            help="Do not verify Traefik's certificate (its own, without Let's Encrypt).",
        ),
    ] = False,
    as_json: Json = False,
) -> None:
    """Probe every component through Traefik and directly; exit 1 when anything is down."""
    try:
        client = connect()
    except SwarmError as error:
        fail(str(error))
    url = public_url or f"https://127.0.0.1:{https_port}"
    checks = check_public(url, verify=False if insecure else None)
    try:
        checks += direct_checks(client, stack)
    except SwarmError as error:
        # Tasks that cannot be asked are not known to be up.
        checks.append(Check("tasks", "-", False, str(error)))
    try:
        nodes = engine_nodes(client)
        places = stack_task_places(client, stack)
    except SwarmError as error:
        fail(str(error))
    per_node = health_by_node(checks, nodes, places)
    ok = all(c.ok for c in checks) and all(row["ok"] for row in per_node)
    if as_json:
        print_json({"ok": ok, "checks": [c.__dict__ for c in checks], "nodes": per_node})
    else:
        console.print(_checks_table(stack, ok, checks, node_of_address(nodes, places)))
        console.print(_nodes_table(per_node))
    if not ok:
        raise typer.Exit(1)


def _checks_table(stack: str, ok: bool, checks: list[Check], where: dict[str, str]) -> Table:
    table = Table(title=f"stack {stack}: {'healthy' if ok else 'DOWN'}", title_justify="left")
    for column in ("component", "node", "target", "state", "detail"):
        table.add_column(column)
    for c in checks:
        state = "[green]up[/]" if c.ok else "[red]down[/]"
        table.add_row(c.component, where.get(c.target, "-"), c.target, state, c.detail)
    return table


def _nodes_table(rows: list[dict[str, Any]]) -> Table:
    table = Table(title="per node", title_justify="left")
    for column in ("node", "state", "availability", "checks up", "down"):
        table.add_column(column)
    for row in rows:
        state = f"[green]{row['state']}[/]" if row["ok"] else f"[red]{row['state']}[/]"
        shares, down = f"{row['up']}/{row['checks']}", "; ".join(row["down"])
        table.add_row(row["hostname"], state, str(row["availability"]), shares, down)
    return table
