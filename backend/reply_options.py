"""What a reply may do beyond speaking text: offer the client's tools, or stay silent text.

The Unmute route's replies are always spoken and offer no tools; an OpenAI Realtime
client chooses both per session and per response.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class ReplyOptions:
    # Function tools in the Chat Completions shape, offered to the LLM.
    tools: list[dict[str, Any]] = field(default_factory=list)
    tool_choice: str | dict[str, Any] | None = None
    spoken: bool = True  # False: text only, no TTS stream and no audio
    report_usage: bool = False  # ask the LLM for token counts (`Reply.usage`)
