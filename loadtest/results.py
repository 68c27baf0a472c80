"""What a load test records: per-turn measurements, issues, and per-level summaries.

These models are the JSON report's schema; times are seconds, those named `*_at` are
relative to the level's start (`LevelResult.monotonic_origin` turns them back into the
load generator's monotonic clock, to line them up with other processes on the host).
"""

from __future__ import annotations

from typing import Literal, get_args

from pydantic import BaseModel, Field

TurnKind = Literal["greeting", "reply", "unheard", "unprompted"]
"""`greeting`: the bot speaks first. `reply`: an answer to a clip the STT transcribed.
`unheard`: the bot spoke after a clip but no transcript came (the STT missed it).
`unprompted`: the bot spoke with no clip before it (a silence prompt)."""

TurnOutcome = Literal["completed", "interrupted", "cut_off"]

# Protocol errors: the server broke a rule existing clients depend on.
ProtocolIssue = Literal[
    "binary_frame",
    "not_json",
    "unknown_event",
    "schema",
    "event_id",
    "order",
    "audio_stream",
    "error_event",
    "unexpected_close",
    "handshake",
]
# Failures: the deployment did not serve the conversation. `dropped`: its connection
# dropped and could not be resumed (with `--resume`).
Failure = Literal["connect_failed", "refused", "turn_timeout", "dropped"]
# Notices: worth seeing, yet the conversation went on. `resumed`: its connection dropped
# and a new one resumed it from the history it kept (with `--resume`).
Notice = Literal["resumed"]
IssueKind = ProtocolIssue | Failure | Notice
PROTOCOL_ISSUES: frozenset[str] = frozenset(get_args(ProtocolIssue))
NOTICES: frozenset[str] = frozenset(get_args(Notice))

# Latency stages: name → what is measured (the reference point → the event).
STAGES: dict[str, str] = {
    "first_transcript_word": "start of user speech → first transcript word",
    "speech_stopped": "end of user speech → input_audio_buffer.speech_stopped",
    "response_created": "end of user speech → response.created",
    "first_llm_word": "end of user speech → first LLM word (text.delta.ready)",
    "voice_to_voice": "end of user speech → first bot audio",
    "greeting_first_audio": "session.update → first audio of the greeting",
}


class TurnRecord(BaseModel):
    """One bot turn and, for replies, the user turn it answers."""

    conversation: int
    index: int = Field(description="bot turn number in the conversation; 0 is the greeting")
    kind: TurnKind
    outcome: TurnOutcome
    said: str | None = Field(default=None, description="text of the clip the user spoke")
    transcript: str = ""
    reply: str = ""
    started_at: float = Field(description="response.created")
    speech_end_at: float | None = None
    speech_end_sample: int | None = Field(
        default=None, description="position of the end of speech in the user's audio stream"
    )
    speech_end_page_sent_at: float | None = None
    first_audio_at: float | None = None
    first_transcript_word: float | None = None
    speech_stopped: float | None = None
    response_created: float | None = None
    first_llm_word: float | None = None
    voice_to_voice: float | None = None
    greeting_first_audio: float | None = None
    audio_s: float = 0.0
    tts_realtime_factor: float | None = None
    gaps: int = 0
    gap_s: float = 0.0

    def stage(self, name: str) -> float | None:
        value = getattr(self, name)
        return None if value is None else float(value)


class Issue(BaseModel):
    kind: IssueKind
    detail: str
    conversation: int | None = None
    at: float = Field(description="seconds since the level started")

    @property
    def is_protocol_error(self) -> bool:
        return self.kind in PROTOCOL_ISSUES


class ResumeRecord(BaseModel):
    """A conversation whose connection dropped, and how the next one took it up."""

    conversation: int
    dropped_at: float = Field(description="when the drop was noticed, since the level began")
    close_code: int | None = Field(description="the dropped connection's close code")
    attempts: int = Field(description="connections tried since the drop")
    resumed_after_s: float | None = Field(
        description="drop → session.updated of the connection that took the conversation; "
        "None: not resumed"
    )
    turns_offered: int = Field(description="turns sent as `session.history`")
    turns_echoed: int | None = Field(
        description="how many of them open the new server's first history update, in order "
        "and unchanged; None: no history update came"
    )
    history_accepted: bool | None = Field(
        description="every offered turn came back; None: no history update came"
    )
    history_echoed_after_s: float | None = Field(
        description="drop → the new server's first history update"
    )


class StageSummary(BaseModel):
    count: int
    p50: float | None = None
    p90: float | None = None
    p95: float | None = None
    p99: float | None = None
    mean: float | None = None
    max: float | None = None


class ResumeSummary(BaseModel):
    drops: int = Field(description="dropped connections a resume was tried for")
    resumed: int
    history_accepted: int = Field(description="resumes whose every offered turn came back")
    resumed_after_s: StageSummary = Field(description="drop → session.updated, resumed ones")


class LevelSummary(BaseModel):
    stages: dict[str, StageSummary]
    turns: dict[str, int] = Field(description="bot turns by kind")
    outcomes: dict[str, int] = Field(description="bot turns by outcome")
    reply_turns_with_gaps: int
    gap_total_s: float
    tts_realtime_factor: StageSummary
    protocol_errors: int
    failures: int
    issues_by_kind: dict[str, int]
    client_send_lag_p99_s: float | None = Field(
        default=None,
        description="how late the load generator sent audio (p99): large values mean the "
        "generator itself could not keep real time",
    )
    resumes: ResumeSummary | None = Field(
        default=None, description="dropped conversations resumed (`--resume`); None: no drop"
    )


class LevelResult(BaseModel):
    concurrency: int
    duration_s: float = Field(description="wall time of the level, ramp-up and drain included")
    monotonic_origin: float
    conversations: int = Field(description="conversations started")
    turns: list[TurnRecord]
    issues: list[Issue]
    send_lags_s: list[float] = Field(
        default_factory=list, description="per conversation, the p99 lateness of audio sends"
    )
    resumes: list[ResumeRecord] = Field(default_factory=list)
    summary: LevelSummary | None = None


class RunConfig(BaseModel):
    url: str
    clients: int
    duration_s: float
    ramp_up_s: float
    turns: int
    sweep: list[int]
    pause_s: float
    turn_timeout_s: float
    clips: list[str]
    voice: str | None
    instructions: str | None
    resume: bool = False


class LoadTestReport(BaseModel):
    started: str = Field(description="ISO 8601 start time")
    realtime_url: str
    health_url: str
    health: dict[str, object] | None
    config: RunConfig
    levels: list[LevelResult]
