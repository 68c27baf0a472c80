"""An image registry running in the swarm, built the air-gapped way, and pushing to it.

The registry is Debian's `docker-registry` package (the CNCF Distribution server) on the
debootstrapped base image: its binary comes from the apt mirror this machine already uses,
so no other registry is needed to start the first one. It runs as one task on a manager,
its port published on that node (host mode: there is no routing mesh), its blobs in a
volume there. Nodes pull from `<manager address>:<port>`; engines that reach it over plain
HTTP list it in `insecure-registries` (behind TLS in production, see docs/deployment.md)."""

from __future__ import annotations

import shutil
import subprocess
import tempfile
import time
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING

from ops.swarm.base_image import ensure_base_image
from ops.swarm.engine import SwarmError

if TYPE_CHECKING:
    import docker

# Bookworm's package: the version is pinned, the binary is the one Debian ships.
PACKAGE = "docker-registry"
PACKAGE_VERSION = "2.8.2+ds1-1"
SERVICE = "unmute-registry"
IMAGE_REPOSITORY = "unmute/registry"
READY_TIMEOUT_S = 120.0

DOCKERFILE = """\
ARG BASE_IMAGE
FROM ${BASE_IMAGE}
COPY docker-registry /usr/bin/docker-registry
COPY config.yml /etc/docker/registry/config.yml
VOLUME /var/lib/docker-registry
EXPOSE 5000
CMD ["/usr/bin/docker-registry", "serve", "/etc/docker/registry/config.yml"]
"""

# The package's own configuration asks for an htpasswd file; inside the swarm, nodes pull
# without credentials (put TLS and auth in front of it where others can reach the port).
CONFIG = """\
version: 0.1
log:
  level: warn
storage:
  filesystem:
    rootdirectory: /var/lib/docker-registry
  delete:
    enabled: true
http:
  addr: :5000
"""

Log = Callable[[str], None]


def registry_binary(cache_dir: Path, log: Log) -> Path:
    """The pinned package's binary, downloaded with apt and unpacked once per machine."""
    unpacked = cache_dir / "registry" / PACKAGE_VERSION
    binary = unpacked / "usr" / "bin" / PACKAGE
    if binary.is_file():
        return binary
    if shutil.which("apt-get") is None or shutil.which("dpkg-deb") is None:
        raise SwarmError("the registry image needs apt-get and dpkg-deb (a Debian host)")
    log(f"apt-get download {PACKAGE}={PACKAGE_VERSION}")
    with tempfile.TemporaryDirectory(prefix="unmute-registry-") as scratch:
        _run(["apt-get", "download", f"{PACKAGE}={PACKAGE_VERSION}"], cwd=Path(scratch))
        package = next(Path(scratch).glob(f"{PACKAGE}_*.deb"))
        partial = unpacked.with_name(f"{PACKAGE_VERSION}.partial")
        shutil.rmtree(partial, ignore_errors=True)
        partial.mkdir(parents=True)
        _run(["dpkg-deb", "-x", str(package), str(partial)])
        partial.rename(unpacked)
    return binary


def build_registry_image(client: docker.DockerClient, cache_dir: Path, log: Log) -> str:
    """The registry image on this engine, tagged by its content."""
    base = ensure_base_image(client, cache_dir, log)
    binary = registry_binary(cache_dir, log)
    with tempfile.TemporaryDirectory(prefix="unmute-registry-image-") as scratch:
        context = Path(scratch)
        shutil.copy2(binary, context / PACKAGE)
        (context / "config.yml").write_text(CONFIG)
        (context / "Dockerfile").write_text(DOCKERFILE)
        image, _ = client.images.build(
            path=str(context), buildargs={"BASE_IMAGE": base}, rm=True, forcerm=True
        )
    content_tag = str(image.id).removeprefix("sha256:")[:12]
    image.tag(IMAGE_REPOSITORY, content_tag)
    return f"{IMAGE_REPOSITORY}:{content_tag}"


def deploy_registry(client: docker.DockerClient, image: str, port: int) -> None:
    """One registry task on the node `client` talks to (a manager), its port published there
    (`docker service create`). Pinned to that node: its images live in a volume there, and
    another manager taking the task over would serve an empty registry."""
    from docker.types import EndpointSpec, Mount

    existing = client.services.list(filters={"name": SERVICE})
    if any(service.name == SERVICE for service in existing):
        return
    client.services.create(  # type: ignore[no-untyped-call]
        image,
        name=SERVICE,
        constraints=[f"node.id == {client.info()['Swarm']['NodeID']}"],
        # Published on the manager itself: no routing mesh (ingress) is needed. (The SDK's
        # stubs want strings; the engine wants numbers.)
        endpoint_spec=EndpointSpec(mode="dnsrr", ports={port: (5000, "tcp", "host")}),  # type: ignore[dict-item]
        mounts=[Mount(target="/var/lib/docker-registry", source=SERVICE, type="volume")],
        labels={"unmute.registry": "true"},
    )


def wait_for_registry(address: str, timeout_s: float = READY_TIMEOUT_S) -> None:
    import httpx

    deadline = time.monotonic() + timeout_s
    while True:
        try:
            if httpx.get(f"http://{address}/v2/", timeout=2.0).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        if time.monotonic() > deadline:
            raise SwarmError(f"the registry at {address} does not answer")
        time.sleep(0.5)


def push_images(
    client: docker.DockerClient, images: Mapping[str, str], registry: str, log: Log
) -> dict[str, str]:
    """Each image (by stack variable) under the registry's name, pushed: the names nodes pull."""

    def push(name: str) -> str:
        repository, tag = name.rsplit(":", 1)
        remote = f"{registry}/{repository}"
        client.images.get(name).tag(remote, tag)
        log(f"pushing {remote}:{tag}")
        for line in client.images.push(remote, tag=tag, stream=True, decode=True):
            if "error" in line:
                raise SwarmError(f"pushing {remote}:{tag} failed: {line['error']}")
        return f"{remote}:{tag}"

    return {variable: push(image) for variable, image in images.items()}


def _run(command: list[str], cwd: Path | None = None) -> None:
    result = subprocess.run(command, capture_output=True, text=True, cwd=cwd, check=False)
    if result.returncode != 0:
        raise SwarmError(f"{' '.join(command)} failed: {(result.stderr or result.stdout)[-1500:]}")
