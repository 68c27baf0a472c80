"""The test bed's wiring (see ops.swarm.testbed_layout): a namespace per node, veths to a
bridge in a "switch" namespace of its own, and the host's leg onto it. Cutting a node's
cable and plugging it in again are faults the tests play."""

from __future__ import annotations

import subprocess
from pathlib import Path

from ops.swarm.engine import SwarmError
from ops.swarm.testbed_layout import (
    BRIDGE,
    HOST_ADDRESS,
    HOST_LINK,
    PREFIX_LENGTH,
    SWITCH,
    TestBedLayout,
    TestBedNode,
)

IP_NETNS_EXEC = ["ip", "netns", "exec"]


def run(command: list[str], *, timeout: float = 120.0) -> str:
    result = subprocess.run(command, capture_output=True, text=True, timeout=timeout, check=False)
    if result.returncode != 0:
        raise SwarmError(f"{' '.join(command)} failed: {(result.stderr or result.stdout).strip()}")
    return result.stdout


def namespaces() -> set[str]:
    listed = run(["ip", "netns", "list"])
    return {line.split()[0] for line in listed.splitlines() if line.strip()}


def namespace_pids(namespace: str) -> list[int]:
    if namespace not in namespaces():
        return []
    return [int(pid) for pid in run(["ip", "netns", "pids", namespace]).split()]


def create_network(layout: TestBedLayout) -> None:
    """The switch namespace with its bridge, the host's leg, and each node's namespace."""
    ip = IP_NETNS_EXEC
    run(["ip", "netns", "add", SWITCH])
    run([*ip, SWITCH, "ip", "link", "set", "lo", "up"])
    run([*ip, SWITCH, "ip", "link", "add", BRIDGE, "type", "bridge"])
    run([*ip, SWITCH, "ip", "link", "set", BRIDGE, "up"])
    run(["ip", "link", "add", HOST_LINK, "type", "veth", "peer", "name", "host-p", "netns", SWITCH])
    run(["ip", "addr", "add", f"{HOST_ADDRESS}/{PREFIX_LENGTH}", "dev", HOST_LINK])
    run(["ip", "link", "set", HOST_LINK, "up"])
    run([*ip, SWITCH, "ip", "link", "set", "host-p", "master", BRIDGE, "up"])
    for node in layout.nodes:
        connect_node(node)


def connect_node(node: TestBedNode) -> None:
    ip = IP_NETNS_EXEC
    if node.namespace not in namespaces():
        run(["ip", "netns", "add", node.namespace])
        run([*ip, node.namespace, "ip", "link", "set", "lo", "up"])
    link = ["ip", "link", "add", node.switch_port, "netns", SWITCH, "type", "veth"]
    run([*link, "peer", "name", "eth0", "netns", node.namespace])
    run([*ip, SWITCH, "ip", "link", "set", node.switch_port, "master", BRIDGE, "up"])
    address = f"{node.address}/{PREFIX_LENGTH}"
    run([*ip, node.namespace, "ip", "addr", "add", address, "dev", "eth0"])
    run([*ip, node.namespace, "ip", "link", "set", "eth0", "up"])


def plugged(node: TestBedNode) -> bool:
    """Whether the node's namespace exists and its cable reaches the switch."""
    if not Path(f"/run/netns/{node.namespace}").exists():
        return False
    links = run([*IP_NETNS_EXEC, SWITCH, "ip", "-o", "link", "show"])
    return f" {node.switch_port}@" in links


def cut_network(node: TestBedNode) -> None:
    """Unplug the node's cable: its engine and containers live on, unreachable."""
    run([*IP_NETNS_EXEC, SWITCH, "ip", "link", "del", node.switch_port])


def remove_network(layout: TestBedLayout) -> None:
    present = namespaces()
    for namespace in (*(node.namespace for node in layout.nodes), SWITCH):
        if namespace in present:
            run(["ip", "netns", "del", namespace])
    # Deleting a namespace frees its veths asynchronously: remove the host's end now.
    if Path(f"/sys/class/net/{HOST_LINK}").exists():
        subprocess.run(["ip", "link", "del", HOST_LINK], capture_output=True, check=False)
