"""`unmute-ops testbed up|down|status|kill|start`: a swarm of real Docker engines on this
machine, each in its own namespaces (see ops.swarm.testbed_layout), joined with real join
tokens and talking over real overlay networks, with a registry running in the swarm (with
`--workers 0`, one manager carrying every role: a one-machine swarm, no registry).

`down` leaves the host as it was found: engines and their containers stopped, namespaces,
veths and bridge gone (the bridge lives in a namespace, so no firewall rule was added),
data roots removed. The host's own Docker engine is never touched."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from ops.swarm.cli_options import Json, console, errors, fail, print_json
from ops.swarm.engine import API_TIMEOUT_S, SwarmError
from ops.swarm.image_archive import is_complete, load_images, save_images
from ops.swarm.images import DEFAULT_CACHE_DIR, build_images
from ops.swarm.registry import (
    build_registry_image,
    deploy_registry,
    push_images,
    wait_for_registry,
)
from ops.swarm.testbed_engine import docker, engine_pid, start_engine, stop_engine, stop_engines
from ops.swarm.testbed_layout import (
    DATA_ROOT,
    REGISTRY_PORT,
    RUN_ROOT,
    SWARM_PORT,
    SWITCH,
    TestBedLayout,
    TestBedNode,
    plan_layout,
)
from ops.swarm.testbed_network import (
    connect_node,
    create_network,
    cut_network,
    namespaces,
    plugged,
    remove_network,
)

if TYPE_CHECKING:
    import docker as docker_sdk

NODE_READY_TIMEOUT_S = 60.0

Log = Callable[[str], None]

app = typer.Typer(
    help="A multi-node swarm on this machine: one engine per node, in its own namespaces.",
    no_args_is_help=True,
)


# --- the swarm --------------------------------------------------------------------------


def form_swarm(layout: TestBedLayout) -> None:
    manager = layout.manager
    docker(manager, "swarm", "init", "--advertise-addr", manager.address)
    token = docker(manager, "swarm", "join-token", "--quiet", "worker").strip()
    for worker in layout.workers:
        docker(
            worker,
            "swarm",
            "join",
            "--token",
            token,
            "--advertise-addr",
            worker.address,
            f"{manager.address}:{SWARM_PORT}",
        )
    for node in layout.nodes:
        labels = [f"--label-add=unmute.{role}=true" for role in node.roles]
        docker(manager, "node", "update", *labels, node.hostname)


def wait_until_ready(layout: TestBedLayout, node: TestBedNode, timeout_s: float) -> None:
    deadline = time.monotonic() + timeout_s
    while node_state(layout, node) != "ready":
        if time.monotonic() > deadline:
            raise SwarmError(f"{node.hostname} is not ready after {timeout_s:g} s")
        time.sleep(0.5)


def node_state(layout: TestBedLayout, node: TestBedNode) -> str:
    """The manager's view of the node: ready, down, unknown."""
    try:
        shown = docker(layout.manager, "node", "inspect", node.hostname, timeout=20)
    except (SwarmError, subprocess.TimeoutExpired):
        return "unknown"
    return str(json.loads(shown)[0]["Status"]["State"])


# --- the test bed as a whole ------------------------------------------------------------


def client(node: TestBedNode) -> docker_sdk.DockerClient:
    import docker as docker_sdk

    return docker_sdk.DockerClient(base_url=node.docker_host, timeout=API_TIMEOUT_S)


def start_registry(layout: TestBedLayout, cache_dir: Path, log: Log) -> None:
    manager = client(layout.manager)
    image = build_registry_image(manager, cache_dir, log)
    log(f"registry {image} on the manager, at {layout.registry}")
    deploy_registry(manager, image, REGISTRY_PORT)
    wait_for_registry(layout.registry)


def distribute_images(
    layout: TestBedLayout, cache_dir: Path, log: Log, archive: Path | None = None
) -> dict[str, str]:
    """The stack's images on the manager, and pushed to the registry where workers pull
    them: the stack variables (UNMUTE_*_IMAGE) naming them. With an `archive`, they are
    loaded from it if it is complete, else built and saved there for the next test bed."""
    manager = client(layout.manager)
    if archive is not None and is_complete(archive):
        log(f"loading the stack's images from {archive}")
        images = load_images(layout.manager.docker_host, archive)
    else:
        images = build_images(manager, cache_dir=cache_dir, log=log).stack_environment()
        if archive is not None:
            log(f"saving the stack's images to {archive}")
            save_images(layout.manager.docker_host, images, archive)
    if not layout.has_registry:
        return images  # one node runs what its own engine holds
    return push_images(manager, images, layout.registry, log)


def bring_up(layout: TestBedLayout, cache_dir: Path, log: Log) -> None:
    """Network, engines, swarm, registry. On any failure, everything is taken down again."""
    if os.geteuid() != 0:
        raise SwarmError("the test bed needs root (network namespaces, dockerd)")
    for tool in ("dockerd", "docker", "docker-init", "ip", "nsenter", "unshare"):
        if shutil.which(tool) is None:
            raise SwarmError(f"{tool} is missing (apt-get install docker.io iproute2 util-linux)")
    if SWITCH in namespaces():
        raise SwarmError("a test bed is already up (`unmute-ops testbed down` first)")
    # What an interrupted teardown left (a data root with its old swarm, a namespace) would
    # make this a different swarm: remove it first.
    tear_down(layout)
    try:
        log("network namespaces, veths and the bridge")
        create_network(layout)
        for node in layout.nodes:
            log(f"engine of {node.name} ({node.address})")
            start_engine(node, layout.registry)
        log("swarm: init on the manager, workers join with the join token")
        form_swarm(layout)
        for node in layout.nodes:
            wait_until_ready(layout, node, NODE_READY_TIMEOUT_S)
        if layout.has_registry:
            start_registry(layout, cache_dir, log)
    except BaseException:
        tear_down(layout)
        raise


def tear_down(layout: TestBedLayout) -> None:
    stop_engines(list(layout.nodes))
    remove_network(layout)
    for node in layout.nodes:
        shutil.rmtree(node.run_dir, ignore_errors=True)
        shutil.rmtree(node.data_dir, ignore_errors=True)
        node.log_path.unlink(missing_ok=True)
    for root in (RUN_ROOT, DATA_ROOT):
        if root.is_dir() and not any(root.iterdir()):
            root.rmdir()


def describe(layout: TestBedLayout) -> dict[str, object]:
    up = SWITCH in namespaces()
    nodes = [
        {
            "name": node.name,
            "hostname": node.hostname,
            "address": node.address,
            "docker_host": node.docker_host,
            "engine": engine_pid(node) is not None,
            "state": node_state(layout, node) if up else "absent",
            "roles": list(node.roles),
        }
        for node in layout.nodes
    ]
    registry = layout.registry if layout.has_registry else None
    return {"up": up, "registry": registry, "nodes": nodes}


# --- the command ------------------------------------------------------------------------

Workers = Annotated[
    int, typer.Option(min=0, max=8, help="How many worker nodes (0: the manager does all).")
]
CacheDir = Annotated[
    Path, typer.Option(help="Where the Debian root file system, wheels and Traefik are kept.")
]


def _say(message: str) -> None:
    errors.print(f"[dim]{message}[/]")


@app.command("up")
def up_command(
    workers: Workers = 2, cache_dir: CacheDir = DEFAULT_CACHE_DIR, as_json: Json = False
) -> None:
    """Start the test bed: a manager and workers, each a real engine, in one swarm."""
    layout = plan_layout(workers)
    try:
        bring_up(layout, cache_dir, _say)
    except SwarmError as error:
        fail(str(error))
    _show(layout, as_json)


@app.command("images")
def images_command(
    workers: Workers = 2,
    cache_dir: CacheDir = DEFAULT_CACHE_DIR,
    archive: Annotated[
        Path | None,
        typer.Option(help="Load the images from this archive, or build and save them there."),
    ] = None,
) -> None:
    """Build the stack's images on the manager and push them to the test bed's registry."""
    try:
        pushed = distribute_images(plan_layout(workers), cache_dir, _say, archive)
    except SwarmError as error:
        fail(str(error))
    for variable, image in pushed.items():
        print(f"{variable}={image}")


@app.command("down")
def down_command(workers: Workers = 8) -> None:
    """Stop every engine of the test bed and leave the host as it was."""
    try:
        tear_down(plan_layout(workers))
    except SwarmError as error:
        fail(str(error))
    console.print("[green]test bed removed[/]")


@app.command("status")
def status_command(workers: Workers = 2, as_json: Json = False) -> None:
    """The test bed's nodes: address, engine, swarm state and roles."""
    _show(plan_layout(workers), as_json)


@app.command("kill")
def kill_command(
    node: Annotated[str, typer.Argument(help="The node, e.g. worker2.")],
    network: Annotated[
        bool, typer.Option("--network", help="Cut its cable instead of killing its engine.")
    ] = False,
    workers: Workers = 2,
) -> None:
    """A node dies: its engine and containers are killed at once (or its network is cut)."""
    try:
        target = plan_layout(workers).node(node)
        cut_network(target) if network else stop_engine(target, signal.SIGKILL)
    except (SwarmError, ValueError) as error:
        fail(str(error))


@app.command("start")
def start_command(
    node: Annotated[str, typer.Argument(help="The node, e.g. worker2.")], workers: Workers = 2
) -> None:
    """Bring a dead node back: plug its cable in and start its engine (it rejoins)."""
    layout = plan_layout(workers)
    try:
        target = layout.node(node)
        if not plugged(target):
            connect_node(target)
        if engine_pid(target) is None:
            start_engine(target, layout.registry)
        wait_until_ready(layout, target, NODE_READY_TIMEOUT_S)
    except (SwarmError, ValueError) as error:
        fail(str(error))


def _show(layout: TestBedLayout, as_json: bool) -> None:
    report = describe(layout)
    if as_json:
        print_json(report)
        return
    if not report["up"]:
        console.print("the test bed is down")
        return
    print(f"registry {report['registry'] or 'none (one node)'}; from this machine, for a node:")
    for node in layout.nodes:
        print(f"  DOCKER_HOST={node.docker_host}  # {node.name} {node.address}")
    for row in report["nodes"]:  # type: ignore[attr-defined]
        print(
            f"{row['name']:<9} {row['address']:<10} engine={'up' if row['engine'] else 'down'}"
            f" state={row['state']} roles={','.join(row['roles'])}"
        )
