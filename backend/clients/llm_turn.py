"""One streamed completion put together: the text to speak, the tool calls the model makes,
and the server's token counts.

Reasoning (`reasoning_content`, `reasoning`, inline `<think>…</think>`) is held back, and
when a reasoning model ends its stream without any answer, the end of its reasoning is
spoken instead of silence. Tool calls stream as `ToolCallDelta`s and come whole at the end.
Pure: the client feeds it the parsed chunks of one completion.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from backend.clients.llm_errors import LlmError, excerpt
from backend.clients.llm_wire import Chunk
from backend.clients.reasoning import ThinkTagFilter, spoken_fallback_from_reasoning

# Reasoning kept for the fallback answer; only its end is ever spoken.
REASONING_TAIL_CHARS = 2000


@dataclass(frozen=True)
class LlmUsage:
    """The tokens of one completion, as the LLM server counted them."""

    input_tokens: int
    output_tokens: int
    cached_tokens: int = 0


@dataclass(frozen=True)
class ToolCall:
    """A complete call of a client-declared function: `arguments` is its JSON text."""

    call_id: str
    name: str
    arguments: str


@dataclass(frozen=True)
class ToolCallDelta:
    """A piece of a tool call as it streams: its id and name, and more of its arguments."""

    call_id: str
    name: str
    arguments: str


TurnPiece = str | ToolCallDelta | ToolCall | LlmUsage


@dataclass
class _ToolCallParts:
    call_id: str = ""
    name: str = ""
    arguments: str = ""


class StreamedTurn:
    def __init__(self) -> None:
        self._usage: LlmUsage | None = None
        self._calls: dict[int, _ToolCallParts] = {}
        self._think = ThinkTagFilter()
        self._reasoning_tail = ""
        self._spoke = False

    def feed(self, chunk: Chunk) -> list[TurnPiece]:
        """What this chunk adds: spoken text and pieces of tool calls, in order."""
        if chunk.error is not None:
            raise LlmError(f"the LLM server reported an error mid-stream: {excerpt(chunk.error)}")
        if chunk.usage is not None:
            details = chunk.usage.prompt_tokens_details
            self._usage = LlmUsage(
                chunk.usage.prompt_tokens,
                chunk.usage.completion_tokens,
                (details.cached_tokens or 0) if details is not None else 0,
            )
        if not chunk.choices:
            return []  # keep-alive, or a usage report
        pieces: list[TurnPiece] = []
        delta = chunk.choices[0].delta
        for part in delta.tool_calls or ():
            call = self._calls.setdefault(part.index, _ToolCallParts())
            call.call_id = part.id or call.call_id
            call.name += part.function.name or ""
            call.arguments += part.function.arguments or ""
            if call.name:  # a call is shown once it has a name
                call_id = call.call_id or f"call_{part.index}"
                pieces.append(ToolCallDelta(call_id, call.name, part.function.arguments or ""))
        spoken, inline_reasoning = self._think.feed(delta.content or "")
        reasoning = (delta.reasoning_content or delta.reasoning or "") + inline_reasoning
        self._keep_reasoning(reasoning)
        if not self._spoke:
            spoken = spoken.lstrip()  # models often open with "\n\n" after thinking
        if spoken:
            self._spoke = True
            pieces.append(spoken)
        return pieces

    def finish(self) -> Iterator[TurnPiece]:
        """The stream ended: the last of the text (or the reasoning's end, when the model
        said nothing else), each whole tool call, then the token counts if given. Lazy, so
        what comes before a malformed tool call is still had."""
        spoken, inline_reasoning = self._think.finish()
        if not self._spoke:
            spoken = spoken.strip()
        if spoken:
            yield spoken
        elif not self._spoke and not self._calls:
            self._keep_reasoning(inline_reasoning)
            fallback = spoken_fallback_from_reasoning(self._reasoning_tail)
            if fallback:
                yield fallback
        for index in sorted(self._calls):
            call = self._calls[index]
            if not call.name:
                raise LlmError(f"the LLM server streamed a tool call with no name: {call}")
            yield ToolCall(call.call_id or f"call_{index}", call.name, call.arguments or "{}")
        if self._usage is not None:
            yield self._usage

    def _keep_reasoning(self, reasoning: str) -> None:
        self._reasoning_tail = (self._reasoning_tail + reasoning)[-REASONING_TAIL_CHARS:]
