"""Server-side tools in a spoken conversation on /v1/realtime: a real MCP server (stdio)
called by the backend when the LLM double calls one of its tools, over real sockets."""

from __future__ import annotations

import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import pytest
import yaml
from fastapi import FastAPI

from backend.app import create_app
from backend.conversation.server_tools import FAILURE_LINES, FILLER_LINE
from backend.session import ConversationSession
from backend.settings import Settings
from backend.tools.config import ToolsConfigError
from backend.tools.outcome import ToolFailure
from tests.doubles.llm_double import LlmDouble, Reply, ScriptedReply, ToolCallScript
from tests.doubles.stt_double import SttDouble
from tests.doubles.tts_double import TtsDouble
from tests.integration.backend_server import backend_app_in_process
from tests.integration.realtime_client import RealtimeClient, tone

pytestmark = pytest.mark.integration

GREETING = "Hello! Ask me about the weather."
ANSWER = "It is sunny in Paris tomorrow."
QUESTION = ["weather", "in", "Paris"]


def calling(name: str, arguments: str) -> ScriptedReply:
    return ScriptedReply("", tool_calls=(ToolCallScript(name, arguments, call_id="call_1"),))


def write_tools_config(directory: Path, deadline_s: float) -> Path:
    path = directory / "tools.yaml"
    config = {
        "deadline_s": deadline_s,
        "servers": {
            "test": {"command": [sys.executable, "-m", "tests.doubles.mcp_server", "stdio"]}
        },
        "characters": {"*": ["test.*"]},
    }
    path.write_text(yaml.safe_dump(config))
    return path


@asynccontextmanager
async def conversation(
    tmp_path: Path,
    replies: list[Reply],
    utterances: list[list[str]],
    deadline_s: float = 20.0,
    tool_events: bool = False,
) -> AsyncIterator[tuple[RealtimeClient, LlmDouble, TtsDouble, FastAPI]]:
    """The bot has greeted; the user has asked the question."""
    stt = SttDouble(utterances)
    tts = TtsDouble(word_duration_s=0.1)
    llm = LlmDouble(replies)
    async with stt, tts, llm:
        settings = {
            "stt_url": stt.url,
            "tts_url": tts.url,
            "llm_url": llm.url,
            "tools_config": str(write_tools_config(tmp_path, deadline_s)),
        }
        async with (
            backend_app_in_process(**settings) as (address, app),
            RealtimeClient(f"ws://{address}/v1/realtime", tool_events=tool_events) as client,
        ):
            extension = {"tool_events": True} if tool_events else {}
            await client.start_session(
                instructions={"type": "constant", "text": "You are a test bot."},
                voice="voice-a",
                **extension,
            )
            await client.wait_count("response.audio.done", 1, timeout=15)
            # The question comes soon after the greeting: an LLM request about 5 s after the
            # last can meet the LLM server closing its idle keep-alive connection.
            await client.wait_for(lambda c: c.samples_sent > 1.0 * 24_000, 10, "1 s of audio")
            client.say(tone(1.0))
            yield client, llm, tts, app


def heard(tts: TtsDouble) -> str:
    return " ".join(tts.words_received)


async def test_the_bot_answers_from_the_tools_result(tmp_path: Path) -> None:
    replies: list[Reply] = [GREETING, calling("test__forecast", '{"city": "Paris"}'), ANSWER]
    async with conversation(tmp_path, replies, [QUESTION], tool_events=True) as (
        client,
        llm,
        tts,
        _,
    ):
        await client.wait_count("response.audio.done", 3, timeout=20)
        (updated,) = client.of_type("session.updated")
        assert updated.session.tool_events is True
        calls = client.of_type("unmute.tool_call")
        assert [(c.server, c.tool, c.status) for c in calls] == [
            ("test", "forecast", "running"),
            ("test", "forecast", "done"),
        ]
        types = client.types()
        ends = [i for i, kind in enumerate(types) if kind == "response.audio.done"]
        shown = [i for i, kind in enumerate(types) if kind == "unmute.tool_call"]
        assert ends[0] < shown[0] < shown[1] < ends[1], "shown while the filler's reply is on"
        offered = llm.requests[1].body["tools"]
        assert [tool["function"]["name"] for tool in offered] == [
            "test__forecast",
            "test__slow",
            "test__broken",
        ]
        follow_up = llm.requests[2].messages
        assert follow_up[-3] == {"role": "user", "content": " ".join(QUESTION)}
        assert follow_up[-2]["content"] == FILLER_LINE
        assert follow_up[-2]["tool_calls"][0]["function"]["name"] == "test__forecast"
        assert follow_up[-1] == {
            "role": "tool",
            "tool_call_id": "call_1",
            "content": "Sunny in Paris, 21 degrees.",
        }
        assert heard(tts).endswith(f"{FILLER_LINE} {ANSWER}")
        assert client.of_type("error") == []
        history = client.of_type("unmute.additional_outputs")[-1].args.chat_history
        assert history[-1].content == ANSWER


# Only the slow tool needs a short deadline: on a busy host, a broken tool's answer may take
# over a second to come back, and must still count as an error, not a timeout.
@pytest.mark.parametrize(
    ("call", "failure", "deadline_s"),
    [
        (calling("test__slow", '{"seconds": 30}'), ToolFailure.TIMEOUT, 1.0),
        (calling("test__broken", "{}"), ToolFailure.ERROR, 15.0),
        (calling("test__missing", "{}"), ToolFailure.UNAVAILABLE, 15.0),
    ],
)
async def test_a_failing_tool_is_spoken(
    tmp_path: Path, call: ScriptedReply, failure: ToolFailure, deadline_s: float
) -> None:
    replies: list[Reply] = [GREETING, call, "The LLM is not asked again."]
    async with conversation(tmp_path, replies, [QUESTION], deadline_s) as (client, llm, tts, _):
        await client.wait_count("response.audio.done", 2, timeout=20)
        assert heard(tts).endswith(f"{FILLER_LINE} {FAILURE_LINES[failure]}")
        assert len(llm.requests) == 2
        assert client.of_type("error") == []
        # A client that did not ask sees the protocol it knows, byte for byte.
        assert all("tool" not in raw for raw in client.raw if '"session.updated"' in raw)


async def test_a_barge_in_while_the_tool_runs_cancels_it(tmp_path: Path) -> None:
    replies: list[Reply] = [
        GREETING,
        calling("test__slow", '{"seconds": 30}'),
        "Never mind then.",
        calling("test__forecast", '{"city": "Paris"}'),
        ANSWER,
    ]
    utterances = [QUESTION, ["never", "mind"], QUESTION]
    async with conversation(tmp_path, replies, utterances, tool_events=True) as (
        client,
        llm,
        tts,
        app,
    ):
        (session,) = app.state.services.sessions
        assert isinstance(session, ConversationSession)
        await client.wait_for(lambda c: bool(session._tool_runs), 15, "the tool call")
        (runs,) = session._tool_runs.values()
        await client.wait_for(lambda c: FILLER_LINE in heard(tts), 15, "the filler")
        # A barge-in counts once the browser's echo cancellation has had its first seconds.
        await client.wait_for(lambda c: c.samples_sent > 3.5 * 24_000, 10, "3.5 s of audio")
        client.say(tone(1.0))
        await client.wait_count("unmute.interrupted_by_vad", 1, timeout=10)
        await client.wait_for(lambda c: all(run.done() for run in runs), 5, "the cancellation")
        assert all(run.cancelled() for run in runs), "the wait for the tool is cancelled"
        assert session._tool_runs == {}
        statuses = [c.status for c in client.of_type("unmute.tool_call")]
        assert statuses == ["running", "cancelled"]
        await client.wait_for(lambda c: "Never mind then." in heard(tts), 15, "the next reply")
        assert llm.requests[2].messages[-1] == {"role": "user", "content": "never mind"}
        assert all(m["role"] != "tool" for m in llm.requests[2].messages)

        # The MCP client, shared by every conversation, still answers after the cancellation.
        await client.wait_count(
            "response.audio.done", len(client.of_type("response.audio.done")) + 1, timeout=15
        )
        client.say(tone(1.0))
        await client.wait_for(lambda c: heard(tts).endswith(ANSWER), 20, "the answer")
        assert llm.requests[4].messages[-1]["content"] == "Sunny in Paris, 21 degrees."
        assert client.of_type("error") == []


async def test_a_tools_file_that_cannot_be_used_stops_the_start(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "tools.yaml"
    path.write_text("servers:\n  weather: {}\n")
    monkeypatch.setenv("UNMUTE_TOOLS_CONFIG", str(path))
    app = create_app(Settings())
    with pytest.raises(ToolsConfigError, match=r"servers\.weather: .*either `url`"):
        async with app.router.lifespan_context(app):
            pass
