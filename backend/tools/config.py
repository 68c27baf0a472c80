"""Which MCP servers the bot may use, and which character may use which of their tools.

The operator writes it as YAML (`UNMUTE_TOOLS_CONFIG`):

    deadline_s: 8            # a tool that takes longer is given up on, and the user told
    max_calls_per_turn: 3    # an LLM that calls more tools in one user turn is stopped
    servers:
      weather:
        url: http://weather.internal:8000/mcp     # Streamable HTTP
      notes:
        command: [python, -m, notes_server]       # a local process over stdio
        env: {NOTES_DIR: /srv/notes}
    characters:
      default: [weather.*]                        # character id: "server.tool" patterns
      quiz-show: [weather.forecast, notes.*]

A character not listed may use no tool; `"*"` lists every character.
"""

from __future__ import annotations

import fnmatch
from pathlib import Path
from typing import Annotated

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

DEFAULT_DEADLINE_S = 8.0
DEFAULT_MAX_CALLS_PER_TURN = 3
ALL_CHARACTERS = "*"
# OpenAI tool names allow [a-zA-Z0-9_-]{1,64}; a dot does not pass, so the server and
# tool names are joined with two underscores.
NAME_SEPARATOR = "__"
ServerName = Annotated[str, Field(pattern=r"^[A-Za-z0-9-]{1,24}$")]


class ToolsConfigError(ValueError):
    """The tools configuration cannot be used; the message says what to fix."""


class McpServerSpec(BaseModel):
    """One MCP server: a URL (Streamable HTTP) or a command (stdio), not both."""

    model_config = ConfigDict(extra="forbid")

    url: str | None = None
    command: list[str] | None = Field(default=None, min_length=1)
    env: dict[str, str] = Field(default_factory=dict)

    @model_validator(mode="after")
    def _one_transport(self) -> McpServerSpec:
        if (self.url is None) == (self.command is None):
            raise ValueError("give either `url` (Streamable HTTP) or `command` (stdio)")
        if self.url is not None and not self.url.startswith(("http://", "https://")):
            raise ValueError("`url` must start with http:// or https://")
        return self


class ToolsConfig(BaseModel):
    model_config = ConfigDict(extra="forbid")

    deadline_s: float = Field(default=DEFAULT_DEADLINE_S, gt=0, le=120)
    max_calls_per_turn: int = Field(default=DEFAULT_MAX_CALLS_PER_TURN, ge=1, le=20)
    servers: dict[ServerName, McpServerSpec] = Field(default_factory=dict)
    characters: dict[str, list[str]] = Field(default_factory=dict)

    @model_validator(mode="after")
    def _patterns_name_servers(self) -> ToolsConfig:
        for character, patterns in self.characters.items():
            for pattern in patterns:
                server = pattern.split(".", 1)[0]
                if server != "*" and server not in self.servers:
                    raise ValueError(
                        f"character {character!r} lists {pattern!r}, "
                        f"but there is no server {server!r}"
                    )
        return self

    def allows(self, character: str, server: str, tool: str) -> bool:
        """May `character` use `tool` of `server`?"""
        patterns = [
            *self.characters.get(character, []),
            *self.characters.get(ALL_CHARACTERS, []),
        ]
        return any(fnmatch.fnmatchcase(f"{server}.{tool}", pattern) for pattern in patterns)


def load_tools_config(path: Path) -> ToolsConfig:
    """Read and check the YAML file; a problem raises `ToolsConfigError` naming it."""
    try:
        raw = yaml.safe_load(path.read_text())
    except OSError as error:
        raise ToolsConfigError(f"cannot read the tools configuration {path}: {error}") from error
    except yaml.YAMLError as error:
        raise ToolsConfigError(f"{path} is not valid YAML: {error}") from error
    try:
        return ToolsConfig.model_validate(raw or {})
    except ValidationError as error:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in problem['loc']) or 'top level'}: {problem['msg']}"
            for problem in error.errors()
        )
        raise ToolsConfigError(f"{path}: {problems}") from error


def tool_name(server: str, tool: str) -> str:
    """The name the LLM sees: `server__tool`, within OpenAI's 64 characters."""
    return f"{server}{NAME_SEPARATOR}{tool}"[:64]
