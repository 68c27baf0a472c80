"""Node roles: what each node of a swarm may run, as `unmute.<role>=true` node labels that the
stack files' placement constraints ask for, and what each node carries now.

    edge     Traefik (on managers) and the browser app
    backend  the conversation backends
    stt      speech-to-text servers
    tts      text-to-speech servers and voice cloning
    llm      the LLM server

`speech` stands for stt and tts. A swarm of one node carries every role: `unmute-ops deploy`
labels a lone unlabelled node so, and the stack runs there as it always has. Pure: the
engine's JSON in, rows and decisions out (ops.swarm.nodes talks to the engine)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

ROLES = ("edge", "backend", "stt", "tts", "llm")
ALIASES = {"speech": ("stt", "tts")}
LABEL_PREFIX = "unmute."
LIVE_STATES = frozenset({"new", "pending", "assigned", "accepted", "preparing", "starting"})


def label(role: str) -> str:
    return f"{LABEL_PREFIX}{role}"


def expand_roles(names: Iterable[str]) -> list[str]:
    """`["speech", "llm"]` → `["stt", "tts", "llm"]`; an unknown role is a ValueError."""
    roles: list[str] = []
    for name in names:
        for role in ALIASES.get(name, (name,)):
            if role not in ROLES:
                known = ", ".join([*ROLES, *ALIASES])
                raise ValueError(f"no role {name!r} (roles: {known})")
            if role not in roles:
                roles.append(role)
    return roles


def roles_of(labels: Mapping[str, str] | None) -> list[str]:
    return [role for role in ROLES if (labels or {}).get(label(role)) == "true"]


def needed_roles(*, llm_in_stack: bool) -> list[str]:
    """Roles some node must carry for the stack's services to be placed."""
    return [role for role in ROLES if role != "llm" or llm_in_stack]


def lone_node_needs_roles(nodes: Sequence[Mapping[str, Any]]) -> bool:
    """A swarm of one node that carries no role yet: it gets them all."""
    return len(nodes) == 1 and not roles_of(nodes[0]["Spec"].get("Labels"))


def missing_roles(nodes: Sequence[Mapping[str, Any]], needed: Iterable[str]) -> list[str]:
    """Needed roles that no active node carries (their services could not be placed)."""
    carried: set[str] = set()
    for node in nodes:
        if node["Spec"].get("Availability") == "active":
            carried.update(roles_of(node["Spec"].get("Labels")))
    return [role for role in needed if role not in carried]


@dataclass(frozen=True)
class TaskPlace:
    """A running (or starting) task: its service, node and addresses on the stack's networks."""

    service: str
    node_id: str
    addresses: tuple[str, ...]


def task_places(
    tasks: Iterable[Mapping[str, Any]], service_names: Mapping[str, str]
) -> list[TaskPlace]:
    """Live tasks of the named services (`service_names`: service ID → short name)."""
    places = []
    for task in tasks:
        state = task.get("Status", {}).get("State")
        if task.get("DesiredState") != "running" or (
            state != "running" and state not in LIVE_STATES
        ):
            continue
        service = service_names.get(str(task.get("ServiceID")))
        if service is None:
            continue
        addresses = tuple(
            address.split("/", 1)[0]
            for attachment in task.get("NetworksAttachments") or []
            for address in attachment.get("Addresses") or []
        )
        places.append(TaskPlace(service, str(task.get("NodeID")), addresses))
    return places


@dataclass(frozen=True)
class SlotUse:
    """What a task reports in use (`ops.swarm.capacity.TaskLoad`, by address)."""

    service: str
    address: str
    in_use: int
    capacity: int


def node_rows(
    nodes: Sequence[Mapping[str, Any]],
    places: Sequence[TaskPlace],
    slots: Sequence[SlotUse] | None,
) -> list[dict[str, Any]]:
    """One row per node: roles, availability, state, its stack tasks, and (when the load was
    read) conversations on its backends and speech slots in use on its servers."""
    by_address = {address: place for place in places for address in place.addresses}
    rows = []
    for node in nodes:
        node_id = str(node["ID"])
        here = [place for place in places if place.node_id == node_id]
        tasks: dict[str, int] = {}
        for place in here:
            tasks[place.service] = tasks.get(place.service, 0) + 1
        row: dict[str, Any] = {
            "hostname": node["Description"]["Hostname"],
            "manager": node["Spec"].get("Role") == "manager",
            "role": node["Spec"].get("Role"),
            "manager_status": manager_status(node),
            "roles": roles_of(node["Spec"].get("Labels")),
            "availability": node["Spec"].get("Availability"),
            "state": node.get("Status", {}).get("State"),
            "address": node.get("Status", {}).get("Addr"),
            "tasks": dict(sorted(tasks.items())),
            "conversations": None,
            "stt_slots": None,
            "tts_slots": None,
        }
        if slots is not None:
            mine = [use for use in slots if _node_of(by_address, use.address) == node_id]
            row["conversations"] = _in_use(mine, "backend")
            row["stt_slots"] = _in_use(mine, "stt")
            row["tts_slots"] = _in_use(mine, "tts")
        rows.append(row)
    return sorted(rows, key=lambda row: str(row["hostname"]))


def manager_status(node: Mapping[str, Any]) -> str | None:
    """A manager's standing in the Raft quorum: leader, reachable or unreachable; None for a
    worker. Two of three managers keep the swarm operable; one of two does not."""
    status = node.get("ManagerStatus")
    if not status:
        return None
    return "leader" if status.get("Leader") else str(status.get("Reachability"))


def _node_of(by_address: Mapping[str, TaskPlace], address: str) -> str | None:
    place = by_address.get(address)
    return None if place is None else place.node_id


def _in_use(uses: Sequence[SlotUse], service: str) -> dict[str, int] | None:
    """`{"in_use": n, "capacity": m}` over the node's tasks of the service, None if none."""
    mine = [use for use in uses if use.service == service]
    if not mine:
        return None
    return {"in_use": sum(u.in_use for u in mine), "capacity": sum(u.capacity for u in mine)}
