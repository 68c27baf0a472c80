"""Changing the backend on the live stack: a rolling update while people talk drops none of
them, a deploy that fails rolls itself back, and `unmute-ops rollback` returns to the
previous definition."""

from __future__ import annotations

import asyncio
import json

import pytest

from tests.speech_clips import speak
from tests.swarm.live_stack import LiveStack, TlsRealtimeClient

pytestmark = [pytest.mark.integration, pytest.mark.slow, pytest.mark.timeout(1800)]

MAX_TURNS_DURING_UPDATE = 20  # bounds the test if the update hangs; it times out anyway
QUESTION = "What is your name?"


def backend_image(live_stack: LiveStack) -> str:
    status = live_stack.ops_json("status")
    return str(next(r for r in status["services"] if r["service"] == "backend")["image"])


def backend_environment(live_stack: LiveStack) -> list[str]:
    inspected = live_stack.docker("service", "inspect", f"{live_stack.stack}_backend")
    spec = json.loads(inspected)[0]["Spec"]
    return list(spec["TaskTemplate"]["ContainerSpec"].get("Env", []))


async def one_turn(client: TlsRealtimeClient) -> None:
    """The user asks once the bot finished, and the bot answers."""
    done = len(client.of_type("response.audio.done"))
    client.say(speak(QUESTION))
    await client.wait_count("response.audio.done", done + 1, timeout=90)


async def test_rolling_update_while_conversations_run_drops_none(live_stack: LiveStack) -> None:
    live_stack.ops_json("scale", "backend", "2")
    live_stack.wait_for_routed_backends(2)
    old_image = backend_image(live_stack)
    # The same image under a new tag: a new definition, so Swarm rolls every backend task.
    new_image = old_image.rsplit(":", 1)[0] + ":rolling-update"
    live_stack.docker("tag", old_image, new_image)

    async with (
        TlsRealtimeClient(live_stack.realtime_url) as first,
        TlsRealtimeClient(live_stack.realtime_url) as second,
    ):
        talking = (first, second)
        for client in talking:
            await client.start_session(voice=None)
        for client in talking:
            await client.wait_count("response.audio.done", 1, timeout=60)

        update = asyncio.create_task(
            live_stack.ops_async(
                *live_stack.deploy_arguments, "--set", f"UNMUTE_BACKEND_IMAGE={new_image}", "--json"
            )
        )
        turns = 0
        while not update.done() and turns < MAX_TURNS_DURING_UPDATE:
            await asyncio.gather(*(one_turn(client) for client in talking))
            turns += 1
            if turns == 2:
                # Someone arrives mid-update: routed to a backend that takes new sessions.
                async with TlsRealtimeClient(live_stack.realtime_url) as newcomer:
                    await newcomer.start_session(voice=None)
                    await newcomer.wait_count("response.audio.done", 1, timeout=60)
                    assert not newcomer.of_type("error")
        code, out, err = await update
        assert code == 0, f"the deploy failed:\n{out}\n{err}"
        assert json.loads(out)["ok"] is True
        assert turns >= 2, "the conversations went on during the update"

        # The conversations outlive the update (their old tasks are draining) and go on.
        await asyncio.gather(*(one_turn(client) for client in talking))
        for client in talking:
            assert client.close_code is None, "the server never closed a conversation"
            assert not client.of_type("error"), client.of_type("error")

    status = live_stack.ops_json("status")
    backend = next(r for r in status["services"] if r["service"] == "backend")
    assert backend["image"] == new_image and backend["running"] == 2


async def test_a_deploy_that_fails_rolls_back(live_stack: LiveStack) -> None:
    before = backend_image(live_stack)
    # A setting the backend refuses at start: every new task exits at once.
    result = live_stack.ops(
        *live_stack.deploy_arguments,
        "--set", f"UNMUTE_BACKEND_IMAGE={before}",
        "--set", "UNMUTE_MAX_SESSIONS=0",
        "--json",
        "--timeout", "300",
    )  # fmt: skip
    assert result.returncode == 1, result.stdout + result.stderr
    report = json.loads(result.stdout)
    assert report["ok"] is False
    assert f"{live_stack.stack}_backend" in report["rolled_back"], report
    assert "UNMUTE_MAX_SESSIONS=0" not in backend_environment(live_stack)
    assert backend_image(live_stack) == before

    async with TlsRealtimeClient(live_stack.realtime_url) as client:
        await client.start_session(voice=None)
        await client.wait_count("response.audio.done", 1, timeout=60)


def test_rollback_returns_to_the_previous_definition(live_stack: LiveStack) -> None:
    live_stack.ops_json("scale", "backend", "2")
    tagged = backend_image(live_stack).rsplit(":", 1)[0] + ":before-rollback"
    live_stack.docker("tag", backend_image(live_stack), tagged)
    previous = backend_image(live_stack)
    updated = live_stack.ops(
        *live_stack.deploy_arguments, "--set", f"UNMUTE_BACKEND_IMAGE={tagged}", "--json"
    )
    assert updated.returncode == 0, updated.stderr
    assert backend_image(live_stack) == tagged

    rolled = live_stack.ops_json("rollback", "backend")
    assert rolled["ok"] is True, rolled
    assert backend_image(live_stack) == previous
