"""`unmute-ops scale` and `autoscale` on the live stack: new sessions spread over the
backends Traefik routes to, and the autoscaler keeps replicas within its bounds."""

from __future__ import annotations

import json

import pytest

from tests.swarm.live_stack import LiveStack, TlsRealtimeClient

pytestmark = [pytest.mark.integration, pytest.mark.slow, pytest.mark.timeout(1800)]

NEW_SESSIONS = 9  # three rounds over three backends


async def open_and_close_session(url: str) -> None:
    async with TlsRealtimeClient(url) as client:
        await client.start_session(voice=None)
        await client.wait_count("session.updated", 1, timeout=30)


async def test_scale_backend_to_three_and_new_sessions_spread(live_stack: LiveStack) -> None:
    scaled = live_stack.ops_json("scale", "backend", "3")
    assert scaled["ok"] is True and scaled["running"] == 3, scaled
    live_stack.wait_for_routed_backends(3)
    before = live_stack.backend_sessions()
    assert len(before) == 3

    for _ in range(NEW_SESSIONS):
        await open_and_close_session(live_stack.realtime_url)

    after = live_stack.backend_sessions()
    new = {address: after[address] - before.get(address, 0) for address in after}
    assert sum(new.values()) == NEW_SESSIONS, new
    assert all(count >= 1 for count in new.values()), f"every backend got sessions: {new}"


def test_autoscale_brings_replicas_within_bounds(live_stack: LiveStack) -> None:
    live_stack.ops_json("scale", "backend", "3")
    result = live_stack.ops("autoscale", "--once", "--backend-max", "2", "--json")
    assert result.returncode == 0, result.stderr
    lines = [json.loads(line) for line in result.stdout.splitlines()]
    decisions = {line["service"]: line for line in lines}
    assert decisions["backend"]["target"] == 2 and decisions["backend"]["applied"] is True
    assert decisions["stt"]["target"] == decisions["stt"]["replicas"], "idle STT is left alone"
    status = live_stack.ops_json("status")
    backend = next(row for row in status["services"] if row["service"] == "backend")
    assert backend["desired"] == 2

    dry = live_stack.ops("autoscale", "--once", "--backend-min", "3", "--dry-run", "--json")
    first = json.loads(dry.stdout.splitlines()[0])
    assert first["target"] == 3 and first["applied"] is False
    status = live_stack.ops_json("status")
    assert next(r for r in status["services"] if r["service"] == "backend")["desired"] == 2
