"""The cluster node by node, for `unmute-ops status` and `health`: the load the tasks report
and the checks of each task, put on the node that runs it. Pure: the commands read the
engine and the probes (ops.swarm.nodes, ops.swarm.health) and hand their answers here."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from ops.swarm.capacity import ServiceLoad
from ops.swarm.node_roles import SlotUse, TaskPlace
from ops.swarm.public_checks import Check

NODE_READY = "ready"


def slot_uses(load: Mapping[str, ServiceLoad]) -> list[SlotUse]:
    """Every task's conversations or speech slots in use, by its address."""
    return [
        SlotUse(task.service, task.address, task.in_use, task.capacity)
        for service_load in load.values()
        for task in service_load.tasks
    ]


def node_of_address(
    nodes: Sequence[Mapping[str, Any]], places: Sequence[TaskPlace]
) -> dict[str, str]:
    """Task address → the hostname of the node that runs the task."""
    hostnames = {str(node["ID"]): str(node["Description"]["Hostname"]) for node in nodes}
    return {
        address: hostnames[place.node_id]
        for place in places
        if place.node_id in hostnames
        for address in place.addresses
    }


def health_by_node(
    checks: Sequence[Check],
    nodes: Sequence[Mapping[str, Any]],
    places: Sequence[TaskPlace],
) -> list[dict[str, Any]]:
    """One row per node: its state, how many of its tasks' checks pass, what is down there.
    A node that is not ready is down even with no check failing: its tasks are not asked
    (they are gone, or unreachable), and Swarm is moving them."""
    where = node_of_address(nodes, places)
    rows = []
    for node in sorted(nodes, key=lambda n: str(n["Description"]["Hostname"])):
        hostname = str(node["Description"]["Hostname"])
        state = str(node.get("Status", {}).get("State"))
        mine = [check for check in checks if where.get(check.target) == hostname]
        down = [f"{c.component} {c.target}: {c.detail}" for c in mine if not c.ok]
        rows.append(
            {
                "hostname": hostname,
                "state": state,
                "availability": node["Spec"].get("Availability"),
                "checks": len(mine),
                "up": len(mine) - len(down),
                "down": down,
                "ok": state == NODE_READY and not down,
            }
        )
    return rows
