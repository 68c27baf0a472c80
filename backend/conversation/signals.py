"""The vocabulary of the conversation core: inputs (what happened) and actions (what to do).

Every input carries `t`, seconds on a monotonic clock, so the core never reads a clock.
Inputs about a bot reply carry its `response_id`; the core ignores ones about a reply that
was already cancelled (a cancelled LLM or TTS stream may still deliver a last word).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from backend.conversation.history import Message
from backend.conversation.turns import TurnOptions
from backend.realtime.events import ServerEvent
from backend.tools.outcome import ToolOutcome

# --- Inputs ---------------------------------------------------------------------------


@dataclass(frozen=True)
class SessionConfigured:
    t: float
    system_prompt: str
    voice: str
    # The turns of the conversation so far, when the client resumes it on a new connection.
    prior_turns: tuple[Message, ...] = ()


@dataclass(frozen=True)
class UserAudio:
    """User audio was forwarded to the STT."""

    t: float
    samples: int


@dataclass(frozen=True)
class SttWord:
    t: float
    text: str
    start_time: float


@dataclass(frozen=True)
class SttStep:
    """One STT frame processed; `pause_probability` is its 2 s horizon (`prs[2]`)."""

    t: float
    step_idx: int
    pause_probability: float


@dataclass(frozen=True)
class LlmWord:
    t: float
    response_id: int
    text: str  # the word to speak
    # The model's whitespace before it ("\n\n", "" for the reply's first word): the history
    # lays the reply out as the model did (`SpokenWords`).
    separator: str


@dataclass(frozen=True)
class LlmDone:
    t: float
    response_id: int


@dataclass(frozen=True)
class LlmFailed:
    """The LLM gave no (complete) reply; why is for the log, not for the core."""

    t: float
    response_id: int


@dataclass(frozen=True)
class TtsFailed:
    """No TTS could speak the rest of the reply; why is for the log."""

    t: float
    response_id: int


@dataclass(frozen=True)
class BotWordSpoken:
    """The listener's playback reached this word (its subtitle is due)."""

    t: float
    response_id: int
    text: str


@dataclass(frozen=True)
class PlaybackFinished:
    """All of the reply's audio has been played to the listener."""

    t: float
    response_id: int


@dataclass(frozen=True)
class LlmToolCall:
    """The LLM called a tool (complete arguments); the client runs it."""

    t: float
    response_id: int
    call_id: str
    name: str
    arguments: str


@dataclass(frozen=True)
class LlmToolCallDelta:
    """More of a tool call the LLM is writing (its arguments, piece by piece)."""

    t: float
    response_id: int
    call_id: str
    name: str
    arguments: str


@dataclass(frozen=True)
class ToolResult:
    """A tool the backend ran for the reply (`ToolCallMade`) is done, or failed."""

    t: float
    response_id: int
    call_id: str
    outcome: ToolOutcome


@dataclass(frozen=True)
class Tick:
    t: float


# --- Inputs from a client that drives turns itself (OpenAI Realtime) -------------------


@dataclass(frozen=True)
class TurnOptionsChanged:
    t: float
    options: TurnOptions


@dataclass(frozen=True)
class UserTurnCommitted:
    """The client says the user's turn is over (push-to-talk)."""

    t: float


@dataclass(frozen=True)
class UserTurnCleared:
    """The client discards what the user said since the last turn ended."""

    t: float


@dataclass(frozen=True)
class ReplyRequested:
    t: float


@dataclass(frozen=True)
class ReplyCancelRequested:
    t: float


Input = (
    SessionConfigured
    | UserAudio
    | SttWord
    | SttStep
    | LlmWord
    | LlmDone
    | LlmFailed
    | TtsFailed
    | BotWordSpoken
    | PlaybackFinished
    | LlmToolCall
    | LlmToolCallDelta
    | ToolResult
    | Tick
    | TurnOptionsChanged
    | UserTurnCommitted
    | UserTurnCleared
    | ReplyRequested
    | ReplyCancelRequested
)

# --- Actions --------------------------------------------------------------------------


@dataclass(frozen=True)
class Emit:
    """Send this event to the browser."""

    event: ServerEvent


@dataclass(frozen=True)
class FlushStt:
    """Send this many samples of silence to the STT at once."""

    samples: int


@dataclass(frozen=True)
class StartReply:
    """Open a TTS stream with `voice` and stream an LLM reply to `messages`."""

    response_id: int
    messages: list[dict[str, Any]]
    temperature: float
    voice: str
    # When the user's turn this reply answers ended (None for a reply nobody asked for: the
    # greeting, a silence prompt, a reply the client requested): the start of the wait the
    # user notices, so latency is measured from the core's own fact, not from its output.
    turn_ended_at: float | None = None


@dataclass(frozen=True)
class SpeakWord:
    response_id: int
    text: str


@dataclass(frozen=True)
class EndOfReplyText:
    """No more words for this reply: the TTS may finish (`Eos`)."""

    response_id: int


@dataclass(frozen=True)
class CancelReply:
    """Stop the LLM, close the TTS stream and drop audio not yet played."""

    response_id: int


@dataclass(frozen=True)
class Close:
    code: int
    reason: str


@dataclass(frozen=True)
class UserTurnFinal:
    """The user's turn ended and its transcript is complete (the STT was flushed)."""

    transcript: str


@dataclass(frozen=True)
class ToolCallMade:
    """The reply calls a tool: tell the client, which runs it (or, with server-side
    tools, run it and report a `ToolResult`)."""

    response_id: int
    call_id: str
    name: str
    arguments: str


@dataclass(frozen=True)
class ToolCallProgress:
    """More of a tool call's arguments, for a client that shows them as they come."""

    response_id: int
    call_id: str
    name: str
    arguments: str


@dataclass(frozen=True)
class AbandonToolCalls:
    """The reply that made these tool calls was cut short: stop waiting for them."""

    response_id: int


Action = (
    Emit
    | FlushStt
    | StartReply
    | SpeakWord
    | EndOfReplyText
    | CancelReply
    | Close
    | UserTurnFinal
    | ToolCallMade
    | ToolCallProgress
    | AbandonToolCalls
)
