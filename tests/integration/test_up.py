"""`unmute-ops up` as a user runs it: start, talk to it with a spoken clip, hear the answer,
then stop it with SIGTERM and find no process left behind."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import numpy as np
import pytest

from tests.integration.backend_server import free_port
from tests.integration.protocol_rules import check_event_ids, check_turn_order
from tests.integration.realtime_client import RealtimeClient
from tests.speech_clips import speak

UNMUTE_OPS = str(Path(sys.executable).with_name("unmute-ops"))
EXIT_GUARD_S = 10  # far longer than any exit takes: only a process left behind reaches it


def descendants(pid: int) -> set[int]:
    """Every process below `pid`, from /proc (children of children included)."""
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            parent = int(stat.rsplit(")", 1)[1].split()[1])
            children.setdefault(parent, []).append(int(entry.name))
    found: set[int] = set()
    stack = [pid]
    while stack:
        for child in children.get(stack.pop(), []):
            found.add(child)
            stack.append(child)
    return found


def alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    stat = Path(f"/proc/{pid}/stat")
    return stat.exists() and stat.read_text().rsplit(")", 1)[1].split()[0] != "Z"


def still_alive(pids: set[int]) -> list[int]:
    """Those of `pids` still running once the others are gone: a process the kernel is
    still tearing down gets a moment, one left behind stays on the list."""
    deadline = time.monotonic() + EXIT_GUARD_S
    while (left := [pid for pid in pids if alive(pid)]) and time.monotonic() < deadline:
        time.sleep(0.05)
    return left


async def test_up_serves_a_spoken_conversation_and_stops_cleanly(tmp_path: Path) -> None:
    port = free_port()
    process = subprocess.Popen(
        [UNMUTE_OPS, "up", "--port", str(port), "--log-dir", str(tmp_path / "logs")],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env={**os.environ, "COLUMNS": "200"},
    )
    try:
        deadline = time.monotonic() + 120
        async with httpx.AsyncClient() as http:
            while True:
                assert process.poll() is None, process.stdout.read() if process.stdout else ""
                try:
                    health = (await http.get(f"http://127.0.0.1:{port}/v1/health")).json()
                    if health["ok"]:
                        break
                except httpx.HTTPError:
                    pass
                assert time.monotonic() < deadline, "unmute-ops up did not become healthy"
                time.sleep(0.3)
        assert health["voice_cloning_up"] is True
        children = descendants(process.pid)
        assert len(children) >= 5, "backend, STT, TTS, LLM and voice cloning run"

        question = speak("What is your name?")
        async with RealtimeClient(f"ws://127.0.0.1:{port}/v1/realtime") as client:
            await client.start_session(voice=None)
            await client.wait_count("response.audio.done", 1, timeout=30)
            greeting = client.bot_audio()
            assert float(np.sqrt(np.mean(greeting**2))) > 0.01, "the greeting is audible"
            await client.wait_for(lambda c: c.samples_sent > 3.5 * 24_000, 10)
            client.say(question)
            await client.wait_count("response.audio.done", 2, timeout=30)
            transcript = " ".join(
                d.delta for d in client.of_type("conversation.item.input_audio_transcription.delta")
            )
            assert "name" in transcript.lower(), transcript
            answer = client.bot_audio()[greeting.size :]
            assert answer.size > 0.5 * 24_000
            assert float(np.sqrt(np.mean(answer**2))) > 0.01, "the answer is audible"
        check_event_ids(client.raw)
        check_turn_order([r.event for r in client.received])
    finally:
        process.send_signal(signal.SIGTERM)
        output, _ = process.communicate(timeout=30)
    assert process.returncode == 0, output
    assert "Unmute is running" in output
    assert f"http://localhost:{port}" in output
    assert not still_alive(children), "no process is left behind"


def test_a_missing_model_stops_up_with_a_reason_and_leaves_nothing(tmp_path: Path) -> None:
    missing = tmp_path / "no-such-whisper"
    port, logs = str(free_port()), str(tmp_path / "logs")
    process = subprocess.Popen(
        [UNMUTE_OPS, "up", "--port", port, "--log-dir", logs, "--stt-model", str(missing)],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env={**os.environ, "COLUMNS": "400"},
    )
    children: set[int] = set()
    while process.poll() is None:  # note every server it starts, until it gives up
        children |= descendants(process.pid)
        time.sleep(0.05)
    output = process.stdout.read() if process.stdout else ""
    assert process.returncode == 1, output
    assert "could not start" in output
    assert f"{missing} is not a folder holding a CTranslate2 Whisper model" in output
    assert not still_alive(children), "no process is left behind"


def test_a_busy_port_is_said_plainly(tmp_path: Path) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = subprocess.run(
            [UNMUTE_OPS, "up", "--port", str(port), "--log-dir", str(tmp_path / "logs")],
            capture_output=True,
            text=True,
            timeout=60,
            env={**os.environ, "COLUMNS": "400"},
        )
    assert result.returncode == 1
    assert f"port {port} is already in use" in result.stdout
    assert not (tmp_path / "logs").exists(), "nothing was started"


@pytest.mark.parametrize("when", ["starting", "running"])
def test_ctrl_c_stops_up_cleanly_whether_starting_or_running(tmp_path: Path, when: str) -> None:
    """A terminal's Ctrl-C goes to the whole foreground process group: `up` alone must act
    on it, stopping its servers itself, and not read their exit as a failure to start."""
    port, logs = free_port(), str(tmp_path / "logs")
    process = subprocess.Popen(
        [UNMUTE_OPS, "up", "--engines", "light", "--port", str(port), "--log-dir", logs],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env={**os.environ, "COLUMNS": "400"},
        start_new_session=True,  # its own process group, as a shell's foreground job
    )
    children: set[int] = set()
    deadline = time.monotonic() + 120
    while len(children) < 5 or (when == "running" and not healthy(port)):
        assert process.poll() is None, process.stdout.read() if process.stdout else ""
        assert time.monotonic() < deadline, f"not {when} in time"
        children |= descendants(process.pid)
        time.sleep(0.05)
    if when == "starting":
        assert not healthy(port), "Ctrl-C comes before the stack is ready"
    os.killpg(process.pid, signal.SIGINT)
    output, _ = process.communicate(timeout=30)
    assert process.returncode == 0, output
    assert "could not start" not in output and "unexpectedly" not in output, output
    assert "Unmute stopped." in output
    assert not still_alive(children), "no process is left behind"


def healthy(port: int) -> bool:
    try:
        answer = httpx.get(f"http://127.0.0.1:{port}/v1/health", timeout=1.0)
        return answer.status_code == 200 and bool(answer.json().get("ok"))
    except (httpx.HTTPError, ValueError):
        return False
