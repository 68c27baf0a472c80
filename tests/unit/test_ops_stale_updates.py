"""Updates on a swarm whose nodes and services change under them: the manager refuses an
update made from a stale read ("update out of sequence"), and unmute-ops reads again."""

from __future__ import annotations

import os
import textwrap
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
from docker.errors import APIError

from ops.swarm import engine
from ops.swarm.engine import (
    OUT_OF_SEQUENCE,
    UPDATE_ATTEMPTS,
    SwarmError,
    scale_service,
    update_node_spec,
)
from ops.swarm.nodes import set_roles
from ops.swarm.stack_files import StackPlan, deploy

NODE_ID = "yl0koce4l19nzz6rshqklj00o"
STALE_WRITE = "rpc error: code = Unknown desc = update out of sequence"


class NodeStore:
    """The manager's rule for one node: an update must name the node's current version; the
    node's status changes (a heartbeat after a rejoin) bump that version between reads."""

    def __init__(self, *, status_changes: int, refusal: str | None = None) -> None:
        self.version = 1111
        self.spec: dict[str, Any] = {"Availability": "active", "Labels": {"zone": "a"}}
        self.status_changes = status_changes  # how many reads a status change follows
        self.refusal = refusal
        self.updates: list[dict[str, Any]] = []
        self.attempts = 0

    def inspect_node(self, node_id: str) -> dict[str, Any]:
        assert node_id == NODE_ID
        read = {"ID": node_id, "Version": {"Index": self.version}, "Spec": self.spec}
        if self.status_changes:
            self.status_changes -= 1
            self.version += 1
        return read

    def update_node(self, node_id: str, version: int, spec: dict[str, Any]) -> None:
        self.attempts += 1
        if self.refusal:
            raise APIError("500 Server Error", explanation=self.refusal)
        if version != self.version:
            raise APIError(
                "500 Server Error",
                explanation="rpc error: code = Unknown desc = update out of sequence",
            )
        self.spec = spec
        self.version += 1
        self.updates.append(spec)


def client_of(store: NodeStore) -> Any:
    node = SimpleNamespace(id=NODE_ID, attrs={"Description": {"Hostname": "speech-1"}})
    return SimpleNamespace(api=store, nodes=SimpleNamespace(list=lambda: [node]))


@pytest.fixture(autouse=True)
def no_backoff(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(engine, "UPDATE_BACKOFF_S", 0.0)


def test_a_status_change_between_read_and_update_is_retried_from_a_fresh_read() -> None:
    store = NodeStore(status_changes=2)
    roles = set_roles(client_of(store), "speech-1", add=["stt", "tts"], remove=[])
    assert roles == ["stt", "tts"]
    assert len(store.updates) == 1
    assert store.spec["Labels"] == {
        "zone": "a",
        "unmute.stt": "true",
        "unmute.tts": "true",
    }
    assert store.spec["Availability"] == "active"  # the rest of the spec is kept


def test_a_node_that_never_settles_is_a_clear_error() -> None:
    store = NodeStore(status_changes=UPDATE_ATTEMPTS)
    with pytest.raises(SwarmError, match=r"refused to update the node: .*out of sequence"):
        update_node_spec(client_of(store), NODE_ID, lambda spec: spec.update(Availability="drain"))
    assert store.updates == []


def test_another_refusal_is_reported_at_once() -> None:
    store = NodeStore(status_changes=0, refusal="invalid availability")
    with pytest.raises(SwarmError, match="invalid availability"):
        update_node_spec(client_of(store), NODE_ID, lambda spec: spec.update(Availability="x"))
    assert store.attempts == 1 and store.version == 1111


def test_the_read_spec_is_not_changed_in_place_by_a_refused_update() -> None:
    store = NodeStore(status_changes=1)
    before = store.spec
    update_node_spec(client_of(store), NODE_ID, lambda spec: spec["Labels"].update(x="1"))
    assert before == {"Availability": "active", "Labels": {"zone": "a"}}
    assert store.spec["Labels"] == {"zone": "a", "x": "1"}


class RollingService:
    """A service in a rolling update: its update status, and so its version, moves on
    between the read that scaling starts from and the write."""

    def __init__(self, *, status_changes: int) -> None:
        self.version = 40
        self.replicas = 2
        self.status_changes = status_changes

    def get(self, service_id: str) -> SimpleNamespace:
        read_version = self.version
        if self.status_changes:
            self.status_changes -= 1
            self.version += 1
        return SimpleNamespace(scale=lambda replicas: self.scale(read_version, replicas))

    def scale(self, version: int, replicas: int) -> None:
        if version != self.version:
            raise APIError("500 Server Error", explanation=STALE_WRITE)
        self.replicas = replicas
        self.version += 1


SERVICE = {"ID": "s1", "Spec": {"Name": "unmute_backend", "Mode": {"Replicated": {"Replicas": 2}}}}


def test_scaling_during_a_rolling_update_is_retried_from_a_fresh_read() -> None:
    service = RollingService(status_changes=3)
    scale_service(SimpleNamespace(services=service), SERVICE, 4)  # type: ignore[arg-type]
    assert service.replicas == 4


def test_scaling_a_service_that_never_settles_names_it() -> None:
    service = RollingService(status_changes=UPDATE_ATTEMPTS)
    with pytest.raises(SwarmError, match=r"refused to scale unmute_backend: .*out of sequence"):
        scale_service(SimpleNamespace(services=service), SERVICE, 4)  # type: ignore[arg-type]
    assert service.replicas == 2


def docker_command(directory: Path, failures: list[str]) -> Path:
    """A `docker` on PATH that fails its first calls with the given messages, then
    deploys; it counts its calls in `calls`."""
    (directory / "failures").write_text("\n".join(failures) + ("\n" if failures else ""))
    script = directory / "docker"
    script.write_text(
        textwrap.dedent(
            f"""\
            #!/bin/sh
            echo call >> {directory}/calls
            failure=$(sed -n "$(wc -l < {directory}/calls)p" {directory}/failures)
            if [ -n "$failure" ]; then echo "$failure" >&2; exit 1; fi
            echo "Updating service unmute_backend (id: s1)"
            """
        )
    )
    script.chmod(0o755)
    return directory / "calls"


def test_a_deploy_refused_as_stale_during_a_rolling_update_is_run_again(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    stale = f"Error response from daemon: rpc error: code = Unknown desc = {OUT_OF_SEQUENCE}"
    calls = docker_command(tmp_path, [stale, stale])
    monkeypatch.setenv("PATH", f"{tmp_path}:{os.environ['PATH']}")
    output = deploy(StackPlan("unmute", ()))
    assert "Updating service unmute_backend" in output
    assert len(calls.read_text().splitlines()) == 3


def test_a_deploy_that_fails_otherwise_is_not_run_again(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    calls = docker_command(tmp_path, ["network unmute_default not found"])
    monkeypatch.setenv("PATH", f"{tmp_path}:{os.environ['PATH']}")
    with pytest.raises(SwarmError, match="docker stack deploy failed: network unmute_default"):
        deploy(StackPlan("unmute", ()))
    assert len(calls.read_text().splitlines()) == 1
