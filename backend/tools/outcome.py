"""What came of a tool call, in words the conversation core can act on (no MCP here)."""

from __future__ import annotations

import enum
from dataclasses import dataclass


class ToolFailure(enum.Enum):
    TIMEOUT = "timeout"  # the deadline passed
    ERROR = "error"  # the tool ran and reported an error, or the arguments were bad
    UNAVAILABLE = "unavailable"  # no such tool, or its server is unreachable


@dataclass(frozen=True)
class ToolOutcome:
    text: str
    """The result for the LLM, or for a failure what went wrong (for the log)."""
    failure: ToolFailure | None = None

    @property
    def ok(self) -> bool:
        return self.failure is None
