"""The toolbox against a real MCP server process, over stdio and Streamable HTTP."""

from __future__ import annotations

import subprocess
import sys
import time
from collections.abc import Iterator

import httpx
import pytest

from backend.tools.config import ToolsConfig
from backend.tools.mcp_toolbox import McpToolbox, ToolFailure
from tests.integration.backend_server import free_port

STDIO_SERVER = [sys.executable, "-m", "tests.doubles.mcp_server", "stdio"]


@pytest.fixture(scope="module")
def http_server() -> Iterator[str]:
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "tests.doubles.mcp_server", "http", "--port", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}/mcp"
    deadline = time.monotonic() + 30
    while True:  # polled: the server has no other way to say it listens
        assert process.poll() is None, "the MCP server exited"
        assert time.monotonic() < deadline, "the MCP server did not start"
        try:
            httpx.get(url, timeout=1)
            break
        except httpx.TransportError:
            time.sleep(0.1)
    yield url
    process.terminate()
    process.wait(timeout=10)


def config(server: dict[str, object], deadline_s: float = 30.0) -> ToolsConfig:
    return ToolsConfig.model_validate(
        {
            "deadline_s": deadline_s,
            "servers": {"test": server},
            "characters": {"default": ["test.forecast", "test.slow", "test.broken"]},
        }
    )


@pytest.fixture(params=["stdio", "http"])
def server(request: pytest.FixtureRequest) -> dict[str, object]:
    """Each test runs against the server as a child process and over HTTP. The toolbox is
    entered inside the test: the SDK's task groups must be left in the task that entered
    them, which an async fixture's teardown does not guarantee."""
    if request.param == "stdio":
        return {"command": STDIO_SERVER}
    return {"url": request.getfixturevalue("http_server")}


async def test_a_tool_is_listed_for_the_llm_and_answers(server: dict[str, object]) -> None:
    async with McpToolbox(config(server)) as toolbox:
        tools = {tool.llm_name: tool.openai_tool() for tool in toolbox.tools_for("default")}
        outcome = await toolbox.call("default", "test__forecast", '{"city": "Paris"}')
    assert set(tools) == {"test__forecast", "test__slow", "test__broken"}
    assert tools["test__forecast"]["function"]["parameters"]["required"] == ["city"]
    assert outcome.ok and outcome.text == "Sunny in Paris, 21 degrees."


async def test_a_character_without_the_tool_neither_sees_nor_calls_it(
    server: dict[str, object],
) -> None:
    async with McpToolbox(config(server)) as toolbox:
        assert toolbox.tools_for("pirate") == []
        outcome = await toolbox.call("pirate", "test__forecast", '{"city": "Paris"}')
    assert outcome.failure is ToolFailure.UNAVAILABLE


async def test_a_failing_tool_and_bad_arguments_come_back_as_errors(
    server: dict[str, object],
) -> None:
    async with McpToolbox(config(server)) as toolbox:
        outcomes = [
            await toolbox.call("default", "test__broken", "{}"),
            await toolbox.call("default", "test__forecast", "{city"),
            await toolbox.call("default", "test__forecast", "[]"),
        ]
    assert [outcome.failure for outcome in outcomes] == [ToolFailure.ERROR] * 3


async def test_a_slow_tool_hits_its_deadline() -> None:
    async with McpToolbox(config({"command": STDIO_SERVER}, deadline_s=0.5)) as toolbox:
        outcome = await toolbox.call("default", "test__slow", '{"seconds": 5}')
    assert outcome.failure is ToolFailure.TIMEOUT
    assert "0.5 s" in outcome.text


async def test_an_unreachable_server_is_left_out_and_the_others_serve() -> None:
    both = ToolsConfig.model_validate(
        {
            "servers": {
                "gone": {"url": f"http://127.0.0.1:{free_port()}/mcp"},
                "test": {"command": STDIO_SERVER},
            },
            "characters": {"*": ["gone.*", "test.forecast"]},
        }
    )
    async with McpToolbox(both) as toolbox:
        assert [tool.llm_name for tool in toolbox.tools_for("anyone")] == ["test__forecast"]
        outcome = await toolbox.call("anyone", "gone__anything", "{}")
    assert outcome.failure is ToolFailure.UNAVAILABLE
