"""Reading the engine's JSON: are the tasks of a service running its current definition,
is a rolling update still going, did it fail?"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from ops.swarm.convergence import ServiceProgress, assess, parse_time

IMAGE = "unmute/backend:new"


def service(replicas: int | None = 2, update: dict[str, str] | None = None) -> dict[str, Any]:
    mode = {"Replicated": {"Replicas": replicas}} if replicas is not None else {"Global": {}}
    spec = {"Name": "unmute_backend", "Mode": mode,
            "TaskTemplate": {"ContainerSpec": {"Image": f"{IMAGE}@sha256:abc"}}}  # fmt: skip
    return {"ID": "s1", "Spec": spec, **({"UpdateStatus": update} if update else {})}


def task(
    state: str, image: str = IMAGE, desired: str = "running", at: str = "2026-01-01T10:00:00Z",
    error: str | None = None,
) -> dict[str, Any]:  # fmt: skip
    status: dict[str, Any] = {"State": state, "Timestamp": at}
    if error:
        status["Err"] = error
    return {"DesiredState": desired, "Status": status, "Spec": {"ContainerSpec": {"Image": image}}}


def test_engine_times_with_nanoseconds_parse() -> None:
    assert parse_time("2026-11-25T16:48:18.123456789Z") == datetime(
        2026, 11, 25, 16, 48, 18, 123456, tzinfo=UTC
    )
    assert parse_time("2026-11-25T16:48:18Z").second == 18


def test_converged_when_the_wanted_tasks_run_the_current_image() -> None:
    progress = assess(service(), [task("running"), task("running")], None)
    assert progress == ServiceProgress("unmute_backend", 2, 2, None, None)
    assert progress.converged


def test_old_and_starting_tasks_do_not_count() -> None:
    tasks = [task("running", image="unmute/backend:old"), task("starting"), task("running")]
    progress = assess(service(), tasks, None)
    assert progress.running == 1 and not progress.converged


def test_a_rolling_update_in_progress_is_not_converged() -> None:
    update = {"State": "updating", "StartedAt": "2026-01-01T10:00:00Z"}
    progress = assess(service(update=update), [task("running"), task("running")], None)
    assert not progress.converged and not progress.failed


def test_an_update_swarm_rolled_back_is_a_failure_unless_a_rollback_was_asked() -> None:
    update = {"State": "rollback_completed", "StartedAt": "2026-01-01T10:00:00Z"}
    tasks = [task("running"), task("running")]
    assert assess(service(update=update), tasks, None).failed
    asked = assess(service(update=update), tasks, None, rolling_back=True)
    assert asked.converged and not asked.failed


def test_states_and_errors_before_this_deploy_are_ignored() -> None:
    since = datetime(2026, 1, 1, 11, 0, tzinfo=UTC)
    update = {"State": "rollback_completed", "StartedAt": "2026-01-01T10:00:00Z"}
    tasks = [task("running"), task("running"), task("failed", error="old crash")]
    progress = assess(service(update=update), tasks, since)
    assert progress.update_state is None and progress.problem is None and progress.converged


def test_the_latest_task_failure_is_reported() -> None:
    tasks = [
        task("failed", at="2026-01-01T10:00:01Z", error="first"),
        task("rejected", at="2026-01-01T10:00:05Z", error="no suitable node"),
        task("running"),
    ]
    assert assess(service(), tasks, None).problem == "no suitable node"


def test_a_global_service_wants_one_task_per_eligible_node() -> None:
    tasks = [task("running"), task("running"), task("shutdown", desired="shutdown")]
    progress = assess(service(replicas=None), tasks, None)
    assert progress.desired == 2 and progress.converged


def test_a_service_whose_tasks_keep_crashing_has_failed() -> None:
    crashes = [task("failed", at=f"2026-01-01T10:00:0{i}Z", error="exit (1)") for i in range(3)]
    progress = assess(service(), [*crashes, task("starting")], None)
    assert progress.failed and progress.problem == "exit (1)"
    # Two crashes, or a crash while another task runs, is still worth waiting for.
    assert not assess(service(), [*crashes[:2], task("starting")], None).failed
    assert not assess(service(), [*crashes, task("running")], None).failed
