"""The test bed's layout: distinct addresses, names that fit network interfaces, roles that
place every service (on one node or several), and engines confined to their node's
namespaces."""

from __future__ import annotations

import pytest

from ops.swarm.node_roles import needed_roles
from ops.swarm.testbed_layout import HOST_ADDRESS, RUN_ROOT, engine_command, plan_layout


def test_one_manager_and_workers_with_distinct_addresses_and_short_interface_names() -> None:
    layout = plan_layout(3)
    assert [node.name for node in layout.nodes] == ["manager", "worker1", "worker2", "worker3"]
    assert layout.manager.manager and not any(node.manager for node in layout.workers)
    addresses = [node.address for node in layout.nodes]
    assert len({*addresses, HOST_ADDRESS}) == len(addresses) + 1
    assert all(len(node.switch_port) <= 15 and len(node.namespace) <= 15 for node in layout.nodes)
    assert len({node.switch_port for node in layout.nodes}) == len(layout.nodes)
    assert layout.registry == f"{layout.manager.address}:5000"


def test_the_nodes_roles_together_place_every_service() -> None:
    carried = {role for node in plan_layout(2).nodes for role in node.roles}
    assert set(needed_roles(llm_in_stack=True)) <= carried


def test_nodes_are_found_by_name_or_hostname_and_a_wrong_one_is_named() -> None:
    layout = plan_layout(2)
    assert layout.node("worker2") is layout.node("utb-worker2")
    with pytest.raises(ValueError, match="no test bed node 'worker3'"):
        layout.node("worker3")
    with pytest.raises(ValueError, match="0 to 8 workers"):
        plan_layout(9)


def test_a_lone_manager_carries_every_role_and_needs_no_registry() -> None:
    layout = plan_layout(0)
    assert layout.nodes == (layout.manager,) and layout.workers == ()
    assert set(needed_roles(llm_in_stack=True)) <= set(layout.manager.roles)
    assert not layout.has_registry
    assert plan_layout(1).has_registry


def test_the_engine_runs_in_the_nodes_namespaces_with_its_own_run_directory() -> None:
    layout = plan_layout(2)
    node = layout.node("worker1")
    command = engine_command(node, layout.registry)
    assert command[:2] == ["nsenter", "--net=/run/netns/utb-worker1"]
    assert {"--mount", "--uts", "--pid", "--fork"} <= set(command)
    script = command[-1]
    assert f"mount --bind {RUN_ROOT / 'worker1'} /run" in script
    assert f"--data-root {node.data_dir}" in script
    assert f"--insecure-registry {layout.registry}" in script
    assert node.socket == RUN_ROOT / "worker1" / "docker.sock"
