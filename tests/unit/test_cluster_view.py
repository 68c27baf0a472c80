"""The cluster node by node: each task's load and checks on the node that runs it, and a
node that is not ready counted down even when none of its checks failed."""

from __future__ import annotations

from typing import Any

from ops.swarm.capacity import ServiceLoad, TaskLoad
from ops.swarm.cluster_view import health_by_node, node_of_address, slot_uses
from ops.swarm.node_roles import SlotUse, TaskPlace
from ops.swarm.public_checks import Check


def node(node_id: str, state: str = "ready", availability: str = "active") -> dict[str, Any]:
    return {
        "ID": node_id,
        "Description": {"Hostname": f"host-{node_id}"},
        "Spec": {"Role": "worker", "Availability": availability, "Labels": {}},
        "Status": {"State": state},
    }


PLACES = [
    TaskPlace("backend", "a", ("10.0.3.2", "10.0.4.2")),
    TaskPlace("stt", "b", ("10.0.3.3",)),
    TaskPlace("tts", "gone", ("10.0.3.9",)),  # a node the engine no longer lists
]


def test_each_task_address_belongs_to_its_node() -> None:
    where = node_of_address([node("a"), node("b")], PLACES)
    assert where == {"10.0.3.2": "host-a", "10.0.4.2": "host-a", "10.0.3.3": "host-b"}


def test_every_task_reports_its_use_by_address() -> None:
    load = {
        "backend": ServiceLoad("backend", (TaskLoad("backend", "10.0.3.2", 3, 4, 12),)),
        "stt": ServiceLoad("stt", (TaskLoad("stt", "10.0.3.3", 1, 4),)),
    }
    assert slot_uses(load) == [
        SlotUse("backend", "10.0.3.2", 3, 4),
        SlotUse("stt", "10.0.3.3", 1, 4),
    ]


def test_checks_land_on_their_node_and_a_failing_one_marks_it_down() -> None:
    checks = [
        Check("backend (via Traefik)", "https://example.org", True, "HTTP 200"),
        Check("backend", "10.0.3.2", True, "takes new conversations"),
        Check("stt", "10.0.3.3", False, "connection refused"),
    ]
    rows = health_by_node(checks, [node("b"), node("a")], PLACES)
    assert [row["hostname"] for row in rows] == ["host-a", "host-b"]
    a, b = rows
    assert (a["checks"], a["up"], a["down"], a["ok"]) == (1, 1, [], True)
    assert (b["checks"], b["up"], b["ok"]) == (1, 0, False)
    assert b["down"] == ["stt 10.0.3.3: connection refused"]


def test_a_node_that_is_not_ready_is_down_with_no_failing_check() -> None:
    rows = health_by_node([], [node("a", state="down"), node("b", availability="drain")], PLACES)
    assert [(row["hostname"], row["ok"]) for row in rows] == [("host-a", False), ("host-b", True)]
    assert rows[0]["checks"] == 0 and rows[0]["state"] == "down"
