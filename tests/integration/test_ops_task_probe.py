"""The in-network probe: every address a name resolves to, every path, answers or errors."""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

from ops.swarm.task_probe import probe


class Task(BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        status = 200 if self.path == "/v1/ready" else 404
        body = f"{self.path} answered".encode()
        self.send_response(status)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:
        pass


@pytest.fixture
def task_port() -> Iterator[int]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), Task)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield int(server.server_address[1])
    server.shutdown()
    server.server_close()


async def test_each_path_of_each_address_is_asked(task_port: int) -> None:
    spec = {"targets": [{"name": "backend", "host": "localhost", "port": task_port,
                         "paths": ["/v1/ready", "/nowhere"]}]}  # fmt: skip
    answers = await probe(spec)
    assert [(a["address"], a["path"], a["status"]) for a in answers] == [
        ("127.0.0.1", "/v1/ready", 200),
        ("127.0.0.1", "/nowhere", 404),
    ]
    assert answers[0]["body"] == "/v1/ready answered"


async def test_a_name_without_tasks_and_a_closed_port_are_reported(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # Swarm's DNS knows no `tasks.<service>` name while the service has no task.
    real_getaddrinfo = socket.getaddrinfo

    def swarm_dns(host: str, *args: Any, **kwargs: Any) -> Any:
        if host.startswith("tasks."):
            raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")
        return real_getaddrinfo(host, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", swarm_dns)
    spec = {
        "targets": [
            {"name": "stt", "host": "tasks.unmute_stt", "port": 8080, "paths": ["/"]},
            {"name": "tts", "host": "127.0.0.1", "port": 9, "paths": ["/api/build_info"]},
        ]
    }
    missing, refused = await probe(spec)
    assert missing["name"] == "stt" and missing["error"] == "no running task"
    assert refused["name"] == "tts" and refused["status"] is None and refused["error"]
