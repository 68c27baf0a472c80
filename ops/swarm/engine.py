"""The Docker engine of a swarm manager, and the services of one stack on it.

Services and tasks travel as the engine's own JSON (plain dicts): easy to show, to test and
to reason about. The SDK's service calls are untyped in its stubs; this module is the one
place that calls them, so the rest of `ops.swarm` stays fully typed.
"""

from __future__ import annotations

import copy
import time
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, Any, cast

if TYPE_CHECKING:
    import docker


DEFAULT_STACK = "unmute"
STACK_LABEL = "com.docker.stack.namespace"
API_TIMEOUT_S = 60  # long enough for a busy manager, short enough to report a dead one
UPDATE_ATTEMPTS = 5
OUT_OF_SEQUENCE = "update out of sequence"  # the manager's words for a stale write
UPDATE_BACKOFF_S = 0.2  # a node's or service's status settles within a heartbeat or two

ServiceInfo = dict[str, Any]
TaskInfo = dict[str, Any]


class SwarmError(RuntimeError):
    """Something the operator must fix; the message says what."""


def connect(*, swarm: bool = True) -> docker.DockerClient:
    """The engine named by DOCKER_HOST (or the local socket); with `swarm`, a swarm manager."""
    try:  # here, not at the top: `unmute-ops serve` must not need the SDK
        import docker
        from docker.errors import DockerException
    except ImportError as error:
        raise SwarmError("the Docker SDK is missing: pip install docker") from error

    try:
        client = docker.from_env(timeout=API_TIMEOUT_S)
        info: dict[str, Any] = client.info()
    except DockerException as error:
        raise SwarmError(f"cannot reach the Docker engine: {error}") from error
    if not swarm:
        return client
    state = info.get("Swarm", {})
    if state.get("LocalNodeState") != "active":
        raise SwarmError("this Docker engine is not part of a swarm (`docker swarm init`)")
    if not state.get("ControlAvailable"):
        raise SwarmError("this node is not a swarm manager: run unmute-ops on a manager")
    return client


def full_name(stack: str, service: str) -> str:
    """`backend` → `unmute_backend`; a name that already has the prefix is kept."""
    return service if service.startswith(f"{stack}_") else f"{stack}_{service}"


def short_name(stack: str, service: str) -> str:
    """`unmute_backend` → `backend`."""
    return service.removeprefix(f"{stack}_")


def name_of(service: ServiceInfo) -> str:
    return str(service["Spec"]["Name"])


def stack_services(client: docker.DockerClient, stack: str) -> list[ServiceInfo]:
    found = client.api.services(filters={"label": f"{STACK_LABEL}={stack}"})  # type: ignore[no-untyped-call]
    return sorted(cast(list[ServiceInfo], found), key=name_of)


def find_service(client: docker.DockerClient, stack: str, service: str) -> ServiceInfo:
    """One service of the stack, by short or full name."""
    wanted = full_name(stack, service)
    services = stack_services(client, stack)
    for candidate in services:
        if name_of(candidate) == wanted:
            return candidate
    known = ", ".join(short_name(stack, name_of(s)) for s in services)
    raise SwarmError(f"no service {wanted!r} in stack {stack!r} (services: {known or 'none'})")


def service_tasks(client: docker.DockerClient, service: ServiceInfo) -> list[TaskInfo]:
    tasks = client.api.tasks(filters={"service": service["ID"]})  # type: ignore[no-untyped-call]
    return cast(list[TaskInfo], tasks)


def service_image(service: ServiceInfo) -> str:
    """The image the service runs, without the digest the manager may have pinned."""
    image: str = service["Spec"]["TaskTemplate"]["ContainerSpec"]["Image"]
    return image.split("@", 1)[0]


def desired_replicas(service: ServiceInfo) -> int | None:
    """The replica count of a replicated service; None for a global one."""
    mode = service["Spec"].get("Mode", {})
    if "Replicated" in mode:
        return int(mode["Replicated"].get("Replicas", 0))
    return None


def scale_service(client: docker.DockerClient, service: ServiceInfo, replicas: int) -> None:
    if desired_replicas(service) is None:
        raise SwarmError(f"{name_of(service)} runs one task per node (global): it has no scale")

    def scale_from_fresh_read() -> None:
        model = client.services.get(service["ID"])  # type: ignore[no-untyped-call]
        model.scale(replicas)

    retry_stale_updates(scale_from_fresh_read, f"refused to scale {name_of(service)}")


def service_logs(
    client: docker.DockerClient,
    service: ServiceInfo,
    *,
    follow: bool,
    tail: int | None,
    since: int,
    timestamps: bool,
) -> Iterator[bytes]:
    """Log lines of every task, stdout and stderr, as the engine sends them."""
    lines = client.api.service_logs(
        service["ID"],
        details=False,
        follow=follow,
        stdout=True,
        stderr=True,
        since=since,
        timestamps=timestamps,
        tail="all" if tail is None else str(tail),
    )
    return cast(Iterator[bytes], lines)


def node_tasks(client: docker.DockerClient, node_id: str) -> list[TaskInfo]:
    tasks = client.api.tasks(filters={"node": node_id})  # type: ignore[no-untyped-call]
    return cast(list[TaskInfo], tasks)


def retry_stale_updates(update: Callable[[], None], refused: str) -> None:
    """Run `update`, which reads an object and writes it back naming the version it read.
    The manager refuses a write from a stale read ("update out of sequence") whenever the
    object changed in between: a node's status as nodes join, leave or come back, a
    service's update status during a rolling update (moby/swarmkit#1379). Such a write is
    tried again from a fresh read; any other refusal is the operator's to see. `update`
    may also be a docker command that fails with a `SwarmError` carrying its output."""
    from docker.errors import APIError

    for attempt in range(1, UPDATE_ATTEMPTS + 1):
        try:
            update()
            return
        except (APIError, SwarmError) as error:
            reason = str(error.explanation or error) if isinstance(error, APIError) else str(error)
            if OUT_OF_SEQUENCE in reason and attempt < UPDATE_ATTEMPTS:
                time.sleep(UPDATE_BACKOFF_S * attempt)
                continue
            if isinstance(error, SwarmError):
                raise
            raise SwarmError(f"the swarm manager {refused}: {reason}") from error


def update_node_spec(
    client: docker.DockerClient, node_id: str, change: Callable[[dict[str, Any]], None]
) -> dict[str, Any]:
    """Apply `change` to a node's spec, from a fresh read; the spec written."""
    written: dict[str, Any] = {}

    def update_from_fresh_read() -> None:
        node: dict[str, Any] = client.api.inspect_node(node_id)
        spec: dict[str, Any] = copy.deepcopy(node["Spec"])
        change(spec)
        # The stubs type the spec as a TypedDict of a few keys; the engine takes them all.
        client.api.update_node(node_id, node["Version"]["Index"], spec)  # type: ignore[arg-type]
        written.update(spec)

    retry_stale_updates(update_from_fresh_read, "refused to update the node")
    return written
