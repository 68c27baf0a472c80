"""Node roles: labels, a lone node carrying them all, roles no node carries, per-node rows,
and the stack files' placement asking for them."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml
from typer.testing import CliRunner

from ops.cli import app
from ops.swarm.node_roles import (
    ROLES,
    SlotUse,
    expand_roles,
    lone_node_needs_roles,
    missing_roles,
    needed_roles,
    node_rows,
    roles_of,
    task_places,
)

SWARM_DIR = Path(__file__).resolve().parents[2] / "swarm"


def node(node_id: str, roles: list[str], availability: str = "active") -> dict[str, Any]:
    return {
        "ID": node_id,
        "Description": {"Hostname": f"host-{node_id}"},
        "Spec": {
            "Role": "worker",
            "Availability": availability,
            "Labels": {f"unmute.{role}": "true" for role in roles} | {"other": "x"},
        },
        "Status": {"State": "ready", "Addr": "10.0.0.9"},
    }


def task(service_id: str, node_id: str, address: str, state: str = "running") -> dict[str, Any]:
    return {
        "ServiceID": service_id,
        "NodeID": node_id,
        "DesiredState": "running",
        "Status": {"State": state},
        "NetworksAttachments": [{"Addresses": [f"{address}/24"]}],
    }


def test_speech_stands_for_stt_and_tts_and_an_unknown_role_is_named() -> None:
    assert expand_roles(["speech", "stt", "llm"]) == ["stt", "tts", "llm"]
    with pytest.raises(ValueError, match="no role 'gpu'"):
        expand_roles(["gpu"])


def test_roles_are_read_from_true_labels_only() -> None:
    assert roles_of({"unmute.stt": "true", "unmute.tts": "false", "unmute.gpu": "true"}) == ["stt"]
    assert roles_of(None) == []


def test_a_lone_unlabelled_node_gets_every_role_and_a_labelled_one_is_left_alone() -> None:
    assert lone_node_needs_roles([node("a", [])])
    assert not lone_node_needs_roles([node("a", ["backend"])])
    assert not lone_node_needs_roles([node("a", []), node("b", [])])


def test_roles_carried_only_by_drained_nodes_are_missing() -> None:
    nodes = [node("a", ["edge", "llm"]), node("b", ["backend", "stt", "tts"], "drain")]
    needed = needed_roles(llm_in_stack=True)
    assert missing_roles(nodes, needed) == ["backend", "stt", "tts"]
    assert "llm" not in needed_roles(llm_in_stack=False)


def test_rows_count_each_nodes_tasks_conversations_and_slots() -> None:
    services = {"s-back": "backend", "s-stt": "stt", "s-tts": "tts"}
    tasks = [
        task("s-back", "a", "10.0.3.2"),
        task("s-stt", "b", "10.0.3.3"),
        task("s-tts", "b", "10.0.3.4"),
        task("s-tts", "a", "10.0.3.5", state="starting"),
        task("s-tts", "a", "10.0.3.6", state="shutdown"),
        task("unknown", "a", "10.0.3.7"),
    ]
    places = task_places(tasks, services)
    slots = [
        SlotUse("backend", "10.0.3.2", 3, 4),
        SlotUse("stt", "10.0.3.3", 2, 4),
        SlotUse("tts", "10.0.3.4", 1, 4),
    ]
    rows = node_rows([node("b", ["stt", "tts"]), node("a", ["backend"])], places, slots)
    assert [row["hostname"] for row in rows] == ["host-a", "host-b"]
    a, b = rows
    assert a["tasks"] == {"backend": 1, "tts": 1}
    assert a["conversations"] == {"in_use": 3, "capacity": 4}
    assert a["stt_slots"] is None and a["tts_slots"] is None  # the starting task reports none
    assert b["tasks"] == {"stt": 1, "tts": 1}
    assert b["conversations"] is None
    assert (b["stt_slots"], b["tts_slots"]) == (
        {"in_use": 2, "capacity": 4},
        {"in_use": 1, "capacity": 4},
    )
    assert a["manager_status"] is None
    unread = node_rows([node("a", ["backend"])], places, None)
    assert unread[0]["conversations"] is None and unread[0]["tasks"] == {"backend": 1, "tts": 1}


def test_a_managers_row_says_where_it_stands_in_the_quorum() -> None:
    leader, follower, lost = (node(name, ["edge"]) for name in ("m1", "m2", "m3"))
    for row, status in ((leader, {"Leader": True, "Reachability": "reachable"}),
                        (follower, {"Reachability": "reachable"}),
                        (lost, {"Reachability": "unreachable"})):  # fmt: skip
        row["Spec"]["Role"] = "manager"
        row["ManagerStatus"] = status
    rows = node_rows([leader, follower, lost], [], None)
    assert [row["manager_status"] for row in rows] == ["leader", "reachable", "unreachable"]
    assert all(row["manager"] for row in rows)


@pytest.mark.parametrize(
    ("file", "service", "role"),
    [
        ("stack.yml", "traefik", "edge"),
        ("stack.yml", "frontend", "edge"),
        ("stack.yml", "backend", "backend"),
        ("stack.yml", "voice-cloning", "tts"),
        ("speech-cpu.yml", "stt", "stt"),
        ("speech-cpu.yml", "tts", "tts"),
        ("speech-gpu.yml", "stt", "stt"),
        ("speech-gpu.yml", "tts", "tts"),
        ("llm-cpu.yml", "llm", "llm"),
        ("llm-vllm.yml", "llm", "llm"),
    ],
)
def test_every_service_is_placed_by_its_role(file: str, service: str, role: str) -> None:
    assert role in ROLES
    stack = yaml.safe_load((SWARM_DIR / file).read_text())
    constraints = stack["services"][service]["deploy"]["placement"]["constraints"]
    assert f"node.labels.unmute.{role} == true" in constraints


def test_labelling_refuses_an_unknown_role_or_no_role_before_asking_any_engine() -> None:
    runner = CliRunner()
    unknown = runner.invoke(app, ["nodes", "label", "gpu-1", "--role", "gpu"])
    assert unknown.exit_code == 1
    assert "no role 'gpu'" in unknown.output
    nothing = runner.invoke(app, ["nodes", "label", "gpu-1"])
    assert nothing.exit_code == 1
    assert "--role" in nothing.output
