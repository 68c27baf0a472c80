"""The MCP servers the operator configured, connected once per backend process.

Each server gets one long-lived client (the official `mcp` SDK's `Client`: Streamable
HTTP for a URL, a child process over stdio for a command) shared by every conversation.
A server that cannot be reached at start-up is left out with a warning, so one broken
tool never keeps the backend from serving. A call has the configured deadline; every
way it can fail comes back as a `ToolOutcome` the conversation can speak about.
"""

from __future__ import annotations

import asyncio
import json
import logging
from contextlib import AsyncExitStack
from dataclasses import dataclass
from types import TracebackType
from typing import Any

from mcp import Client
from mcp.client.stdio import StdioServerParameters

from backend.tools.config import McpServerSpec, ToolsConfig, tool_name
from backend.tools.outcome import ToolFailure, ToolOutcome

__all__ = ["McpTool", "McpToolbox", "ToolFailure", "ToolOutcome"]

logger = logging.getLogger(__name__)

CONNECT_TIMEOUT_S = 10.0
# Tool results go into the LLM's history, which has a budget: a page of text at most.
MAX_RESULT_CHARS = 2_000


@dataclass(frozen=True)
class McpTool:
    server: str
    name: str
    description: str
    parameters: dict[str, Any]

    @property
    def llm_name(self) -> str:
        return tool_name(self.server, self.name)

    def openai_tool(self) -> dict[str, Any]:
        """The tool as an OpenAI-compatible LLM is told about it."""
        function = {"name": self.llm_name, "description": self.description}
        return {"type": "function", "function": {**function, "parameters": self.parameters}}


class McpToolbox:
    """`async with McpToolbox(config) as toolbox:` connects; leaving disconnects."""

    def __init__(self, config: ToolsConfig) -> None:
        self.config = config
        self._exits = AsyncExitStack()
        self._clients: dict[str, Client] = {}
        self._tools: dict[str, McpTool] = {}

    async def __aenter__(self) -> McpToolbox:
        for server, spec in self.config.servers.items():
            try:
                async with asyncio.timeout(CONNECT_TIMEOUT_S):
                    await self._connect(server, spec)
            except Exception as error:  # any failure of one server leaves it out
                logger.warning("MCP server %r left out: %s", server, _describe(error))
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        await self._exits.aclose()

    async def _connect(self, server: str, spec: McpServerSpec) -> None:
        client = await self._exits.enter_async_context(Client(_transport(spec)))
        listing = await client.list_tools()
        self._clients[server] = client
        for tool in listing.tools:
            described = McpTool(server, tool.name, tool.description or "", tool.input_schema)
            self._tools[described.llm_name] = described
        logger.info("MCP server %r: %d tools", server, len(listing.tools))

    def tools_for(self, character: str) -> list[McpTool]:
        """The tools `character` may use, as the configuration allows."""
        return [
            tool
            for tool in self._tools.values()
            if self.config.allows(character, tool.server, tool.name)
        ]

    def find(self, llm_name: str) -> McpTool | None:
        """The tool the LLM knows as `llm_name`, if any server has it."""
        return self._tools.get(llm_name)

    async def call(self, character: str, llm_name: str, arguments: str) -> ToolOutcome:
        """Run a tool the LLM asked for, with the arguments it wrote (JSON)."""
        tool = self._tools.get(llm_name)
        if tool is None or not self.config.allows(character, tool.server, tool.name):
            return ToolOutcome(f"there is no tool called {llm_name!r}", ToolFailure.UNAVAILABLE)
        try:
            parsed = json.loads(arguments or "{}")
        except json.JSONDecodeError:
            return ToolOutcome("the arguments were not valid JSON", ToolFailure.ERROR)
        if not isinstance(parsed, dict):
            return ToolOutcome("the arguments were not a JSON object", ToolFailure.ERROR)
        try:
            async with asyncio.timeout(self.config.deadline_s):
                result = await self._clients[tool.server].call_tool(tool.name, parsed)
        except TimeoutError:
            return ToolOutcome(
                f"no answer within {self.config.deadline_s:g} s", ToolFailure.TIMEOUT
            )
        except Exception as error:  # the server broke or went away mid-call
            return ToolOutcome(_describe(error), ToolFailure.UNAVAILABLE)
        text = _result_text(result.content, result.structured_content)
        return ToolOutcome(text, ToolFailure.ERROR if result.is_error else None)


def _transport(spec: McpServerSpec) -> str | StdioServerParameters:
    if spec.url is not None:
        return spec.url
    assert spec.command is not None  # the configuration checks one of them is set
    command, *args = spec.command
    return StdioServerParameters(command=command, args=args, env=spec.env or None)


def _result_text(content: list[Any], structured: Any) -> str:
    texts = [block.text for block in content if getattr(block, "type", None) == "text"]
    text = "\n".join(texts) if texts else json.dumps(structured) if structured is not None else ""
    return text[:MAX_RESULT_CHARS]


def _describe(error: BaseException) -> str:
    if isinstance(error, BaseExceptionGroup):
        return "; ".join(_describe(inner) for inner in error.exceptions)
    return f"{type(error).__name__}: {error}"
