"""Ask every task of the stack directly, from inside the stack's monitoring network.

Task addresses live on overlay networks that the operator's machine cannot reach, so the
questions are asked by `ops.swarm.task_probe` in a throwaway container attached to the
`<stack>_monitoring` network, started from the backend's own image (which has it)."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from ops.swarm.engine import SwarmError, find_service, full_name, service_image

if TYPE_CHECKING:
    import docker

PROBE_LABEL = "unmute.probe"


@dataclass(frozen=True)
class ProbeTarget:
    service: str  # short name, e.g. "backend"
    port: int
    paths: tuple[str, ...]


@dataclass(frozen=True)
class ProbeAnswer:
    service: str
    address: str | None  # None: the service has no running task
    path: str | None
    status: int | None  # None: no HTTP answer (see error)
    body: str
    error: str | None

    @property
    def answered(self) -> bool:
        return self.status is not None


def monitoring_network(stack: str) -> str:
    return f"{stack}_monitoring"


def probe_tasks(
    client: docker.DockerClient, stack: str, targets: Sequence[ProbeTarget]
) -> list[ProbeAnswer]:
    spec = {
        "targets": [
            {
                "name": t.service,
                "host": f"tasks.{full_name(stack, t.service)}",
                "port": t.port,
                "paths": list(t.paths),
            }
            for t in targets
        ]
    }
    image = service_image(find_service(client, stack, "backend"))
    from docker.errors import APIError, ContainerError, ImageNotFound

    try:
        output = client.containers.run(
            image,
            ["python3", "-m", "ops.swarm.task_probe", json.dumps(spec)],
            network=monitoring_network(stack),
            labels={PROBE_LABEL: stack},
            remove=True,
            stdout=True,
            stderr=False,
        )
    except (ContainerError, ImageNotFound, APIError) as error:
        raise SwarmError(f"probing the stack's tasks failed: {error}") from error
    return [
        ProbeAnswer(
            service=a["name"],
            address=a["address"],
            path=a["path"],
            status=a["status"],
            body=a["body"],
            error=a.get("error"),
        )
        for a in json.loads(bytes(output))
    ]
