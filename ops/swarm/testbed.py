"""`unmute-ops testbed up|down|status|kill|start`: a swarm of real Docker engines on this
machine, each in its own namespaces (see ops.swarm.testbed_layout), joined with real join
tokens and talking over real overlay networks, with a registry running in the swarm.

`down` leaves the host as it was found: engines and their containers stopped, namespaces,
veths and bridge gone (the bridge lives in a namespace, so no firewall rule was added),
data roots removed. The host's own Docker engine is never touched."""

from __future__ import annotations

import contextlib
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
from ops.swarm.images import DEFAULT_CACHE_DIR, build_images
from ops.swarm.registry import (
    build_registry_image,
    deploy_registry,
    push_images,
    wait_for_registry,
)
from ops.swarm.testbed_layout import (
    BRIDGE,
    DATA_ROOT,
    HOST_ADDRESS,
    HOST_LINK,
    PREFIX_LENGTH,
    REGISTRY_PORT,
    RUN_ROOT,
    SWARM_PORT,
    SWITCH,
    TestBedLayout,
    TestBedNode,
    engine_command,
    plan_layout,
)

if TYPE_CHECKING:
    import docker as docker_sdk

ENGINE_START_TIMEOUT_S = 60.0
ENGINE_STOP_TIMEOUT_S = 30.0  # the engine stops its containers first
NODE_READY_TIMEOUT_S = 60.0

Log = Callable[[str], None]

app = typer.Typer(
    help="A multi-node swarm on this machine: one engine per node, in its own namespaces.",
    no_args_is_help=True,
)


def _run(command: list[str], *, timeout: float = 120.0) -> str:
    result = subprocess.run(command, capture_output=True, text=True, timeout=timeout, check=False)
    if result.returncode != 0:
        raise SwarmError(f"{' '.join(command)} failed: {(result.stderr or result.stdout).strip()}")
    return result.stdout


def docker(node: TestBedNode, *arguments: str, timeout: float = 120.0) -> str:
    """The docker CLI against one node's engine."""
    return _run(["docker", "--host", node.docker_host, *arguments], timeout=timeout)


def namespaces() -> set[str]:
    listed = _run(["ip", "netns", "list"])
    return {line.split()[0] for line in listed.splitlines() if line.strip()}


def namespace_pids(namespace: str) -> list[int]:
    if namespace not in namespaces():
        return []
    return [int(pid) for pid in _run(["ip", "netns", "pids", namespace]).split()]


def engine_pid(node: TestBedNode) -> int | None:
    """The node's dockerd (the first process of its PID namespace), if it runs."""
    for pid in namespace_pids(node.namespace):
        try:
            command = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")[0]
        except FileNotFoundError:
            continue
        if command.endswith(b"dockerd"):
            return pid
    return None


def engine_answers(node: TestBedNode) -> bool:
    if not node.socket.exists():
        return False
    try:
        docker(node, "info", "--format", "{{.ServerVersion}}", timeout=10)
    except (SwarmError, subprocess.TimeoutExpired):
        return False
    return True


# --- the network ------------------------------------------------------------------------


def create_network(layout: TestBedLayout) -> None:
    """The switch namespace with its bridge, the host's leg, and each node's namespace."""
    ip = ["ip", "netns", "exec"]
    _run(["ip", "netns", "add", SWITCH])
    _run([*ip, SWITCH, "ip", "link", "set", "lo", "up"])
    _run([*ip, SWITCH, "ip", "link", "add", BRIDGE, "type", "bridge"])
    _run([*ip, SWITCH, "ip", "link", "set", BRIDGE, "up"])
    _run(
        ["ip", "link", "add", HOST_LINK, "type", "veth", "peer", "name", "host-p", "netns", SWITCH]
    )
    _run(["ip", "addr", "add", f"{HOST_ADDRESS}/{PREFIX_LENGTH}", "dev", HOST_LINK])
    _run(["ip", "link", "set", HOST_LINK, "up"])
    _run([*ip, SWITCH, "ip", "link", "set", "host-p", "master", BRIDGE, "up"])
    for node in layout.nodes:
        connect_node(node)


def connect_node(node: TestBedNode) -> None:
    ip = ["ip", "netns", "exec"]
    if node.namespace not in namespaces():
        _run(["ip", "netns", "add", node.namespace])
        _run([*ip, node.namespace, "ip", "link", "set", "lo", "up"])
    link = ["ip", "link", "add", node.switch_port, "netns", SWITCH, "type", "veth"]
    _run([*link, "peer", "name", "eth0", "netns", node.namespace])
    _run([*ip, SWITCH, "ip", "link", "set", node.switch_port, "master", BRIDGE, "up"])
    address = f"{node.address}/{PREFIX_LENGTH}"
    _run([*ip, node.namespace, "ip", "addr", "add", address, "dev", "eth0"])
    _run([*ip, node.namespace, "ip", "link", "set", "eth0", "up"])


def cut_network(node: TestBedNode) -> None:
    """Unplug the node's cable: its engine and containers live on, unreachable."""
    _run(["ip", "netns", "exec", SWITCH, "ip", "link", "del", node.switch_port])


def remove_network(layout: TestBedLayout) -> None:
    present = namespaces()
    for namespace in (*(node.namespace for node in layout.nodes), SWITCH):
        if namespace in present:
            _run(["ip", "netns", "del", namespace])
    # Deleting a namespace frees its veths asynchronously: remove the host's end now.
    if Path(f"/sys/class/net/{HOST_LINK}").exists():
        subprocess.run(["ip", "link", "del", HOST_LINK], capture_output=True, check=False)


# --- the engines ------------------------------------------------------------------------


def start_engine(node: TestBedNode, registry: str) -> None:
    # A node starts as after a reboot: an empty /run (a killed engine leaves pid files and
    # sockets there), its data root kept, swarm membership included (it rejoins).
    shutil.rmtree(node.run_dir, ignore_errors=True)
    node.run_dir.mkdir(parents=True)
    node.data_dir.mkdir(parents=True, exist_ok=True)
    with node.log_path.open("ab") as log:
        daemon = subprocess.Popen(
            engine_command(node, registry),
            stdout=log,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            start_new_session=True,  # outlives `unmute-ops testbed up`
        )
    deadline = time.monotonic() + ENGINE_START_TIMEOUT_S
    while not engine_answers(node):
        if daemon.poll() is not None:
            raise SwarmError(f"the engine of {node.name} exited; see {node.log_path}")
        if time.monotonic() > deadline:
            raise SwarmError(f"the engine of {node.name} did not answer; see {node.log_path}")
        time.sleep(0.3)


def stop_engine(node: TestBedNode, sig: signal.Signals = signal.SIGTERM) -> None:
    """SIGTERM stops the engine cleanly; SIGKILL is the node dying with all it runs."""
    stop_engines([node], sig)


def stop_engines(nodes: list[TestBedNode], sig: signal.Signals = signal.SIGTERM) -> None:
    """Signal every engine at once, then wait until their namespaces hold no process."""
    for node in nodes:
        if (pid := engine_pid(node)) is not None:
            os.kill(pid, sig)
    for node in nodes:
        deadline = time.monotonic() + ENGINE_STOP_TIMEOUT_S
        while left := namespace_pids(node.namespace):
            if time.monotonic() > deadline:
                for pid in left:
                    _kill(pid)
            time.sleep(0.2)


def _kill(pid: int) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.kill(pid, signal.SIGKILL)


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


def distribute_images(layout: TestBedLayout, cache_dir: Path, log: Log) -> dict[str, str]:
    """The stack's images built on the manager and pushed to the registry, as nodes pull
    them: the stack variables (UNMUTE_*_IMAGE) naming them."""
    manager = client(layout.manager)
    built = build_images(manager, cache_dir=cache_dir, log=log)
    return push_images(manager, built.stack_environment(), layout.registry, log)


def bring_up(layout: TestBedLayout, cache_dir: Path, log: Log) -> None:
    """Network, engines, swarm, registry. On any failure, everything is taken down again."""
    if os.geteuid() != 0:
        raise SwarmError("the test bed needs root (network namespaces, dockerd)")
    for tool in ("dockerd", "docker", "docker-init", "ip", "nsenter", "unshare"):
        if shutil.which(tool) is None:
            raise SwarmError(f"{tool} is missing (apt-get install docker.io iproute2 util-linux)")
    if SWITCH in namespaces():
        raise SwarmError("a test bed is already up (`unmute-ops testbed down` first)")
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
    return {"up": up, "registry": layout.registry, "nodes": nodes}


# --- the command ------------------------------------------------------------------------

Workers = Annotated[int, typer.Option(min=1, max=8, help="How many worker nodes.")]
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
def images_command(workers: Workers = 2, cache_dir: CacheDir = DEFAULT_CACHE_DIR) -> None:
    """Build the stack's images on the manager and push them to the test bed's registry."""
    try:
        pushed = distribute_images(plan_layout(workers), cache_dir, _say)
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
        if not Path(f"/run/netns/{target.namespace}").exists() or not _plugged(target):
            connect_node(target)
        if engine_pid(target) is None:
            start_engine(target, layout.registry)
        wait_until_ready(layout, target, NODE_READY_TIMEOUT_S)
    except (SwarmError, ValueError) as error:
        fail(str(error))


def _plugged(node: TestBedNode) -> bool:
    links = _run(["ip", "netns", "exec", SWITCH, "ip", "-o", "link", "show"])
    return f" {node.switch_port}@" in links


def _show(layout: TestBedLayout, as_json: bool) -> None:
    report = describe(layout)
    if as_json:
        print_json(report)
        return
    if not report["up"]:
        console.print("the test bed is down")
        return
    print(f"registry {report['registry']}; from this machine, for a node:")
    for node in layout.nodes:
        print(f"  DOCKER_HOST={node.docker_host}  # {node.name} {node.address}")
    for row in report["nodes"]:  # type: ignore[attr-defined]
        print(
            f"{row['name']:<9} {row['address']:<10} engine={'up' if row['engine'] else 'down'}"
            f" state={row['state']} roles={','.join(row['roles'])}"
        )
