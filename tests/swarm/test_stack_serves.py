"""The deployed stack serves a spoken conversation through Traefik, over TLS, and the
operator's commands report on it."""

from __future__ import annotations

import json

import httpx
import numpy as np
import pytest

from tests.integration.protocol_rules import check_event_ids, check_turn_order
from tests.speech_clips import speak
from tests.swarm.live_stack import LiveStack, TlsRealtimeClient

pytestmark = [pytest.mark.integration, pytest.mark.slow, pytest.mark.timeout(1800)]


async def test_a_spoken_conversation_through_traefik(live_stack: LiveStack) -> None:
    async with TlsRealtimeClient(live_stack.realtime_url) as client:
        await client.start_session(voice=None)
        await client.wait_count("response.audio.done", 1, timeout=60)
        greeting = client.bot_audio()
        assert float(np.sqrt(np.mean(greeting**2))) > 0.01, "the greeting is audible"
        await client.wait_for(lambda c: c.samples_sent > 3.5 * 24_000, 15)
        client.say(speak("What is your name?"))
        await client.wait_count("response.audio.done", 2, timeout=60)
        assert client.close_code is None, "the server kept the conversation open"
    transcript = " ".join(
        d.delta for d in client.of_type("conversation.item.input_audio_transcription.delta")
    )
    assert "name" in transcript.lower(), transcript
    answer = client.bot_audio()[greeting.size :]
    assert float(np.sqrt(np.mean(answer**2))) > 0.01, "the answer is audible"
    assert not client.of_type("error")
    check_event_ids(client.raw)
    check_turn_order([r.event for r in client.received])


def test_plain_http_is_redirected_and_answers_carry_security_headers(
    live_stack: LiveStack,
) -> None:
    address = live_stack.layout.manager.address
    plain = httpx.get(f"http://{address}/api/v1/health", timeout=10)
    assert plain.status_code in (301, 308)
    assert plain.headers["location"].startswith("https://")
    with httpx.Client(verify=False, timeout=10) as http:
        health = http.get(f"{live_stack.url}/api/v1/health")
        voices = http.get(f"{live_stack.url}/api/v1/voices")
        site = http.get(f"{live_stack.url}/")
    assert health.json()["ok"] is True
    assert voices.status_code == 200 and voices.json(), "the /api prefix is stripped"
    assert site.status_code == 200 and "<html" in site.text.lower()
    for answer in (health, site):
        assert "max-age=" in answer.headers["strict-transport-security"]
        assert answer.headers["x-content-type-options"] == "nosniff"
        assert answer.headers["x-frame-options"] == "DENY"


def test_health_probes_every_component_through_traefik_and_directly(
    live_stack: LiveStack,
) -> None:
    report = live_stack.ops_json("health")
    assert report["ok"] is True, report
    checks = report["checks"]
    components = {c["component"] for c in checks}
    assert {"backend (via Traefik)", "frontend (via Traefik)", "traefik routing"} <= components
    assert {"backend", "frontend", "stt", "tts", "llm", "voice-cloning", "traefik"} <= components
    direct = [c for c in checks if c["component"] == "backend"]
    assert all(c["target"].count(".") == 3 for c in direct), "each backend task by its address"


def test_health_fails_when_a_component_is_down(live_stack: LiveStack) -> None:
    stopped = live_stack.ops("scale", "voice-cloning", "0", "--json")
    assert stopped.returncode == 0, stopped.stderr
    try:
        report = live_stack.ops("health", "--json")
        assert report.returncode == 1
        down = [c for c in json.loads(report.stdout)["checks"] if not c["ok"]]
        assert [c["component"] for c in down] == ["voice-cloning"], down
    finally:
        restored = live_stack.ops("scale", "voice-cloning", "1", "--json")
        assert restored.returncode == 0, restored.stderr


def test_status_shows_services_nodes_and_capacity(live_stack: LiveStack) -> None:
    status = live_stack.ops_json("status")
    services = {row["service"]: row for row in status["services"]}
    assert {"traefik", "frontend", "backend", "stt", "tts", "llm", "voice-cloning"} <= set(services)
    assert all(row["running"] == row["desired"] for row in services.values()), services
    assert [node["role"] for node in status["nodes"]] == ["manager"]
    backend = next(row for row in status["load"] if row["service"] == "backend")
    replicas = services["backend"]["desired"]
    assert len(backend["tasks"]) == replicas
    assert backend["capacity"] == 4 * replicas, "UNMUTE_MAX_SESSIONS seats per backend"
    stt = next(row for row in status["load"] if row["service"] == "stt")
    assert stt["capacity"] == 4, "the CPU STT server's slots"


def test_logs_show_the_backend_output(live_stack: LiveStack) -> None:
    result = live_stack.ops("logs", "backend", "--tail", "50")
    assert result.returncode == 0, result.stderr
    assert "Uvicorn running" in result.stdout or "GET /v1/" in result.stdout, result.stdout[-2000:]
