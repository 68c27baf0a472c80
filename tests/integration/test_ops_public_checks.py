"""Checks through the front door, against a real HTTP server on loopback."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import ClassVar

import pytest

from ops.swarm.public_checks import check_public, verify_tls_for, wait_until_healthy


class FrontDoor(BaseHTTPRequestHandler):
    health: ClassVar[dict[str, bool]] = {}
    health_status: ClassVar[int] = 200

    def do_GET(self) -> None:
        if self.path == "/api/v1/health":
            self._answer(self.health_status, json.dumps(self.health).encode(), "application/json")
        elif self.path == "/":
            self._answer(200, b"<html>unmute</html>", "text/html")
        else:
            self._answer(404, b"", "text/plain")

    def _answer(self, status: int, body: bytes, kind: str) -> None:
        self.send_response(status)
        self.send_header("Content-Type", kind)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:
        pass


@pytest.fixture
def front_door() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), FrontDoor)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


UP = {"stt_up": True, "tts_up": True, "llm_up": True, "voice_cloning_up": False, "ok": True}


def test_all_up(front_door: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(FrontDoor, "health", UP)
    checks = check_public(front_door)
    assert [c.ok for c in checks] == [True, True]
    assert "optional down: voice_cloning" in checks[0].detail


def test_a_dependency_down_fails_the_check_and_names_it(
    front_door: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(FrontDoor, "health", {**UP, "llm_up": False, "ok": False})
    checks = check_public(front_door)
    assert not checks[0].ok and "llm" in checks[0].detail
    assert checks[1].ok


def test_a_proxy_error_fails(front_door: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(FrontDoor, "health_status", 503)
    assert check_public(front_door)[0].detail == "HTTP 503"


def test_nothing_listening_fails_within_the_wait() -> None:
    healthy, checks = wait_until_healthy("http://127.0.0.1:9", timeout_s=0.1)
    assert not healthy and all(not c.ok for c in checks)


def test_tls_is_verified_except_on_this_machine() -> None:
    assert verify_tls_for("https://unmute.example.com")
    assert not verify_tls_for("https://127.0.0.1:443")
    assert not verify_tls_for("https://localhost")
    assert verify_tls_for("https://10.1.2.3")
