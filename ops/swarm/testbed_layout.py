"""The multi-node test bed's layout: which nodes, their addresses, roles and paths, and the
commands that start their engines. Pure: `ops.swarm.testbed` carries it out.

Each node is a real `dockerd` in its own network, mount, UTS and PID namespaces:

- network: a veth pair from the node to a bridge that lives in a namespace of its own (the
  "switch"), so the host's firewall never sees the nodes' traffic and needs no rule;
- mount: the node's own `/run` (bound from RUN_ROOT/<node>), so its socket is at the usual
  /var/run/docker.sock inside (Traefik's bind mount finds the node's own engine) and at
  RUN_ROOT/<node>/docker.sock outside; its mounts vanish with it;
- PID: a tiny init (Docker's own `docker-init`, tini) is the namespace's first process and
  reaps what the engine orphans; when the engine dies, the init exits, and with it every
  process of the node (containerd, shims, containers), as in a power cut.

The host reaches the nodes through one more veth (HOST_ADDRESS); the nodes have no route
beyond their subnet, so a lookup on the internet fails at once instead of timing out.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

RUN_ROOT = Path("/run/unmute-testbed")
DATA_ROOT = Path("/var/lib/unmute-testbed")
NAMESPACE_PREFIX = "utb-"  # short: interface names have 15 characters at most
SWITCH = f"{NAMESPACE_PREFIX}switch"
BRIDGE = f"{NAMESPACE_PREFIX}br"
HOST_LINK = f"{NAMESPACE_PREFIX}host"
SUBNET_PREFIX = "10.77.0"
PREFIX_LENGTH = 24
HOST_ADDRESS = f"{SUBNET_PREFIX}.1"
REGISTRY_PORT = 5000
SWARM_PORT = 2377

# Placement roles a node may carry, as `unmute.<role>=true` labels (ops.swarm.node_roles).
MANAGER_ROLES = ("edge", "llm")
WORKER_ROLES = ("backend", "stt", "tts")


@dataclass(frozen=True)
class TestBedNode:
    name: str
    address: str
    manager: bool
    roles: tuple[str, ...]

    @property
    def namespace(self) -> str:
        return f"{NAMESPACE_PREFIX}{self.name}"

    @property
    def hostname(self) -> str:
        """The swarm knows the node by this name (its own UTS namespace)."""
        return self.namespace

    @property
    def switch_port(self) -> str:
        """The veth end on the bridge, in the switch namespace."""
        return f"{self.namespace}-p"[:15]

    @property
    def run_dir(self) -> Path:
        return RUN_ROOT / self.name

    @property
    def data_dir(self) -> Path:
        return DATA_ROOT / self.name

    @property
    def socket(self) -> Path:
        return self.run_dir / "docker.sock"

    @property
    def docker_host(self) -> str:
        return f"unix://{self.socket}"

    @property
    def log_path(self) -> Path:
        return DATA_ROOT / f"{self.name}.log"


@dataclass(frozen=True)
class TestBedLayout:
    nodes: tuple[TestBedNode, ...]

    @property
    def manager(self) -> TestBedNode:
        return next(node for node in self.nodes if node.manager)

    @property
    def workers(self) -> tuple[TestBedNode, ...]:
        return tuple(node for node in self.nodes if not node.manager)

    @property
    def has_registry(self) -> bool:
        """Workers pull from a registry; a lone manager runs what its own engine holds."""
        return bool(self.workers)

    @property
    def registry(self) -> str:
        """Where images are pushed and pulled: the registry's port on the manager."""
        return f"{self.manager.address}:{REGISTRY_PORT}"

    def node(self, name: str) -> TestBedNode:
        for node in self.nodes:
            if name in (node.name, node.hostname):
                return node
        known = ", ".join(node.name for node in self.nodes)
        raise ValueError(f"no test bed node {name!r} (nodes: {known})")


def plan_layout(workers: int = 2) -> TestBedLayout:
    """One manager (Traefik, the LLM, the registry) and `workers` backend/speech nodes; with
    no workers, the manager carries every role (a one-machine swarm)."""
    if not 0 <= workers <= 8:
        raise ValueError(f"a test bed has 0 to 8 workers, not {workers}")
    roles = MANAGER_ROLES if workers else (*MANAGER_ROLES, *WORKER_ROLES)
    manager = TestBedNode("manager", f"{SUBNET_PREFIX}.2", True, roles)
    return TestBedLayout(
        (
            manager,
            *(
                TestBedNode(f"worker{i}", f"{SUBNET_PREFIX}.{2 + i}", False, WORKER_ROLES)
                for i in range(1, workers + 1)
            ),
        )
    )


def engine_command(node: TestBedNode, registry: str) -> list[str]:
    """The node's engine in its namespaces (the network one must exist already)."""
    dockerd = " ".join(
        [
            # tini forwards signals to the engine and exits with it.
            "exec docker-init --",
            "dockerd",
            f"--data-root {node.data_dir}",
            # Default paths under the node's own /run: the socket is /var/run/docker.sock.
            f"--insecure-registry {registry}",
            "--storage-driver overlay2",
            "--log-level warn",
        ]
    )
    inside = f"hostname {node.hostname} && mount --bind {node.run_dir} /run && {dockerd}"
    return [
        "nsenter",
        f"--net=/run/netns/{node.namespace}",
        "unshare",
        "--mount",
        "--uts",
        "--pid",
        "--fork",
        "--mount-proc",
        "--propagation",
        "slave",
        "sh",
        "-c",
        inside,
    ]
