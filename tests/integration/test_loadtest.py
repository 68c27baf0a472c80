"""The load tester against a real backend (scripted speech and LLM servers behind it) and
against deliberately broken servers, over real sockets on loopback."""

from __future__ import annotations

import asyncio
import base64
import contextlib
import json
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import typer
from typer.testing import CliRunner
from websockets.asyncio.server import ServerConnection, serve
from websockets.exceptions import ConnectionClosed
from websockets.typing import Subprotocol

from backend.audio.ogg import OpusOutputEncoder
from backend.realtime import events as ev
from loadtest.results import LoadTestReport
from loadtest.runner import LoadTestOptions, run_load_test
from ops.loadtest_command import loadtest
from tests.doubles.llm_double import LlmDouble
from tests.doubles.stt_double import SttDouble
from tests.doubles.tts_double import TtsDouble
from tests.integration.backend_server import backend_in_process

REPLY = "Sure, here is a short answer."


@asynccontextmanager
async def local_stack() -> AsyncIterator[str]:
    """A backend in this event loop with scripted STT, TTS and LLM; yields `host:port`."""
    stt = SttDouble([["hello", "there"]] * 200)
    tts = TtsDouble(word_duration_s=0.15)
    llm = LlmDouble(lambda messages: REPLY)
    async with (
        stt,
        tts,
        llm,
        backend_in_process(stt_url=stt.url, tts_url=tts.url, llm_url=llm.url) as address,
    ):
        yield address


async def test_a_short_sweep_produces_a_complete_report_without_protocol_errors(
    tmp_path: Path,
) -> None:
    app = typer.Typer()
    app.command()(loadtest)
    out = tmp_path / "report"
    async with local_stack() as address:
        # The command runs its own event loop, so it gets a thread; the stack stays here.
        result = await asyncio.to_thread(
            CliRunner().invoke,
            app,
            [
                f"http://{address}",
                *("--sweep", "1,2", "--duration", "4.5", "--turns", "1", "--pause", "0.3"),
                *("--turn-timeout", "15", "--out", str(out)),
            ],
        )
    assert result.exit_code == 0, result.output

    report = LoadTestReport.model_validate_json((out / "results.json").read_text())
    assert [level.concurrency for level in report.levels] == [1, 2]
    assert report.health is not None and report.health["ok"] is True
    assert report.realtime_url == f"ws://{address}/v1/realtime"
    for level in report.levels:
        assert level.issues == [], level.issues
        assert level.summary is not None and level.summary.protocol_errors == 0
        replies = [turn for turn in level.turns if turn.kind == "reply"]
        assert len(replies) >= level.concurrency
        for turn in replies:
            assert turn.outcome == "completed"
            # The scripted STT says "hello there" per voiced stretch of the spoken clip.
            assert turn.transcript.startswith("hello there")
            assert turn.reply == REPLY
            assert turn.audio_s > 0.5
            stages = [turn.speech_stopped, turn.response_created, turn.first_llm_word]
            assert all(value is not None and value > 0 for value in stages), turn
            assert turn.voice_to_voice is not None and turn.first_llm_word is not None
            assert turn.response_created <= turn.first_llm_word <= turn.voice_to_voice  # type: ignore[operator]
            assert turn.first_transcript_word is not None and turn.first_transcript_word > 0
        greetings = [turn for turn in level.turns if turn.kind == "greeting"]
        assert greetings and all(t.greeting_first_audio for t in greetings)

    summary = (out / "summary.md").read_text()
    assert "## 1 concurrent conversations" in summary
    assert "## 2 concurrent conversations" in summary
    assert "| voice_to_voice |" in summary
    assert "Protocol errors: **0**" in summary
    for plot in ("latency_distribution.png", "concurrency.png"):
        assert (out / plot).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


# --- deliberately broken servers --------------------------------------------------------

Script = Callable[[ServerConnection, "Sender"], Awaitable[None]]


class Sender:
    """Sends server events with fresh event ids; a bot turn's audio is real Ogg Opus."""

    def __init__(self, connection: ServerConnection) -> None:
        self.connection = connection
        self.encoder = OpusOutputEncoder()

    async def event(self, kind: str, **fields: Any) -> None:
        payload = {"type": kind, "event_id": ev.new_event_id(), **fields}
        await self.connection.send(json.dumps(payload))

    async def audio(self, seconds: float = 0.2) -> None:
        pages = self.encoder.encode(np.full(int(seconds * 24_000), 0.1, dtype=np.float32))
        await self.event("response.audio.delta", delta=base64.b64encode(pages).decode())

    async def whole_turn(self) -> None:
        await self.event("response.created", response={"voice": "v", "chat_history": []})
        await self.event("unmute.response.text.delta.ready", delta="Hi")
        await self.audio()
        history = [{"role": "assistant", "content": "Hi"}]
        await self.event("unmute.additional_outputs", args={"chat_history": history})
        await self.event("response.audio.done")


async def audio_before_the_turn(connection: ServerConnection, send: Sender) -> None:
    await send.audio()  # outside any bot turn
    await send.event("response.created", response={"voice": "v", "chat_history": []})
    await send.event("response.audio.done")  # no text, no audio, no additional_outputs


async def an_unknown_event_type(connection: ServerConnection, send: Sender) -> None:
    await send.event("response.surprise", delta="?")
    await send.whole_turn()


async def a_fatal_error_then_1011(connection: ServerConnection, send: Sender) -> None:
    await send.whole_turn()
    await send.event(
        "error", error={"type": "fatal", "message": "Speech recognition stopped working."}
    )
    await connection.close(1011, "Speech recognition stopped working.")


async def a_malformed_event(connection: ServerConnection, send: Sender) -> None:
    await send.event("response.created", response={"voice": 3})
    await send.whole_turn()


@asynccontextmanager
async def broken_server(script: Script) -> AsyncIterator[str]:
    """Accepts like the backend, answers `session.update`, then plays `script`."""

    async def handle(connection: ServerConnection) -> None:
        send = Sender(connection)
        started = False
        with contextlib.suppress(ConnectionClosed):
            async for message in connection:  # keeps reading the client's audio until it leaves
                if not started and json.loads(message)["type"] == "session.update":
                    started = True
                    await send.event("session.updated", session={"allow_recording": False})
                    await script(connection, send)

    async with serve(handle, "127.0.0.1", 0, subprotocols=[Subprotocol("realtime")]) as server:
        port = server.sockets[0].getsockname()[1]
        yield f"ws://127.0.0.1:{port}/v1/realtime"


@pytest.mark.parametrize(
    ("script", "expected"),
    [
        (audio_before_the_turn, {"order"}),
        (an_unknown_event_type, {"unknown_event"}),
        (a_fatal_error_then_1011, {"error_event", "unexpected_close"}),
        (a_malformed_event, {"schema"}),
    ],
)
async def test_a_broken_server_is_reported_not_hidden(script: Script, expected: set[str]) -> None:
    async with broken_server(script) as url:
        report = await run_load_test(
            LoadTestOptions(
                url=url,
                clients=1,
                duration_s=2.0,
                turns=1,
                pause_s=0.2,
                turn_timeout_s=1.5,
                require_health=False,
            )
        )
    (level,) = report.levels
    assert level.summary is not None
    kinds = {issue.kind for issue in level.issues}
    assert expected <= kinds, level.issues
    assert level.summary.protocol_errors >= len(expected)
    if "unexpected_close" in expected:
        close = next(i for i in level.issues if i.kind == "unexpected_close")
        assert "1011" in close.detail and "Speech recognition" in close.detail
