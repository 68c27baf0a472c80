"""The autoscaler's loop outlives a failed reading (a manager's engine restarting, a task
being replaced) and says so; with `--once` the failure is the command's."""

from __future__ import annotations

import json
from types import SimpleNamespace
from typing import Any

import pytest
import requests
from docker.errors import APIError
from typer.testing import CliRunner

from ops.cli import app
from ops.swarm import autoscale
from ops.swarm.engine import SwarmError

runner = CliRunner()
LINE = {"service": "backend", "replicas": 2, "target": 2, "in_use": 1, "capacity": 8,
        "reason": "within bounds", "applied": False}  # fmt: skip


def script_readings(monkeypatch: pytest.MonkeyPatch, outcomes: list[Exception | None]) -> None:
    """Each reading in turn fails with the exception or succeeds; after the last, the
    operator presses Ctrl-C during the wait."""
    left = list(outcomes)
    monkeypatch.setattr(autoscale, "connect", lambda: object())

    def evaluate(*_: Any) -> list[dict[str, object]]:
        outcome = left.pop(0)
        if outcome is not None:
            raise outcome
        return [LINE]

    def sleep(_: float) -> None:
        if not left:
            raise KeyboardInterrupt

    monkeypatch.setattr(autoscale, "evaluate", evaluate)
    monkeypatch.setattr(autoscale, "time", SimpleNamespace(sleep=sleep))


def test_failed_readings_are_reported_and_the_next_reading_follows(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    script_readings(
        monkeypatch,
        [
            SwarmError("the backend tasks' metrics could not be read"),
            requests.ConnectionError("Connection aborted"),
            APIError("500 Server Error", explanation="manager restarting"),
            None,
        ],
    )
    result = runner.invoke(app, ["autoscale", "--json", "--interval", "1"])
    assert result.exit_code == 0, result.output
    lines = [json.loads(line) for line in result.stdout.splitlines()]
    assert [sorted(line) for line in lines[:3]] == [["error"]] * 3
    assert "metrics could not be read" in lines[0]["error"]
    assert "Connection aborted" in lines[1]["error"]
    assert "manager restarting" in lines[2]["error"]
    assert lines[3] == LINE


def test_a_failed_reading_with_once_fails_the_command(monkeypatch: pytest.MonkeyPatch) -> None:
    script_readings(monkeypatch, [requests.ConnectionError("Connection aborted")])
    result = runner.invoke(app, ["autoscale", "--once", "--json"])
    assert result.exit_code == 1
    assert "Connection aborted" in result.output
