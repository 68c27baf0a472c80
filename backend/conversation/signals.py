"""The vocabulary of the conversation core: inputs (what happened) and actions (what to do).

Every input carries `t`, seconds on a monotonic clock, so the core never reads a clock.
Inputs about a bot reply carry its `response_id`; the core ignores ones about a reply that
was already cancelled (a cancelled LLM or TTS stream may still deliver a last word).
"""

from __future__ import annotations

from dataclasses import dataclass

from backend.realtime.events import ServerEvent

# --- Inputs ---------------------------------------------------------------------------


@dataclass(frozen=True)
class SessionConfigured:
    t: float
    system_prompt: str
    voice: str


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
    text: str


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
class Tick:
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
    | Tick
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
    messages: list[dict[str, str]]
    temperature: float
    voice: str


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


Action = Emit | FlushStt | StartReply | SpeakWord | EndOfReplyText | CancelReply | Close
