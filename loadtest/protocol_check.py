"""The rules of the browser protocol that existing clients rely on (protocols.md §1),
checked as events arrive. Nothing here raises: every breach becomes a `Violation`, so a
load test reports all of them instead of stopping at the first.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any, Literal, get_args

from pydantic import ValidationError

from backend.audio.ogg_pages import OggFormatError, OggPageSplitter
from backend.realtime import events as ev

ViolationKind = Literal[
    "binary_frame", "not_json", "unknown_event", "schema", "event_id", "order", "audio_stream"
]
KNOWN_SERVER_EVENTS: frozenset[str] = frozenset(
    str(model.model_fields["type"].default) for model in get_args(get_args(ev.ServerEvent)[0])
)
_TURN_END = ("response.audio.done", "unmute.interrupted_by_vad")


@dataclass(frozen=True)
class Violation:
    kind: ViolationKind
    detail: str


def parse_server_message(message: str | bytes) -> ev.ServerEvent | Violation:
    """Validate one WebSocket message against the server event union."""
    if isinstance(message, bytes):
        return Violation("binary_frame", f"a binary frame of {len(message)} bytes")
    try:
        payload: Any = json.loads(message)
    except ValueError:
        return Violation("not_json", f"not JSON: {message[:80]!r}")
    kind = payload.get("type") if isinstance(payload, dict) else None
    if isinstance(kind, str) and kind not in KNOWN_SERVER_EVENTS:
        return Violation("unknown_event", f"unknown event type {kind!r}")
    if not isinstance(payload, dict) or not payload.get("event_id"):
        return Violation("event_id", f"{kind or 'an event'} without an event_id")
    try:
        return ev.server_event_adapter.validate_python(payload)
    except ValidationError as error:
        first = error.errors()[0]
        where = ".".join(str(part) for part in first["loc"])
        return Violation("schema", f"{kind}: {where}: {first['msg']}")


class EventOrderChecker:
    """Within a bot turn: `response.created` → `unmute.response.text.delta.ready`+ →
    `response.audio.delta`+ → `unmute.additional_outputs` → `response.audio.done` (or cut
    short by `unmute.interrupted_by_vad`); transcripts only outside bot turns; event ids
    unique; the session is confirmed before the first turn."""

    def __init__(self) -> None:
        self._event_ids: set[str] = set()
        self._session_confirmed = False
        self._in_turn = False
        self._turn_events: list[str] = []
        self._last_history_role: str | None = None

    def feed(self, event: ev.ServerEvent) -> list[Violation]:
        found: list[Violation] = []
        if event.event_id in self._event_ids:
            found.append(Violation("event_id", f"event id {event.event_id} used twice"))
        self._event_ids.add(event.event_id)
        found.extend(Violation("order", detail) for detail in self._order(event))
        return found

    def _order(self, event: ev.ServerEvent) -> list[str]:
        kind = event.type
        where = f"{kind} after {self._turn_events[-4:] or 'nothing'} in this turn"
        problems: list[str] = []
        if kind == "session.updated":
            self._session_confirmed = True
        elif kind == "response.created":
            if self._in_turn:
                problems.append(f"a bot turn started inside another: {where}")
            if not self._session_confirmed:
                problems.append("a bot turn started before session.updated")
            self._in_turn, self._turn_events = True, []
        elif kind == "conversation.item.input_audio_transcription.delta" and self._in_turn:
            problems.append(f"a transcript arrived during a bot turn: {where}")
        elif kind == "unmute.response.text.delta.ready" and not self._in_turn:
            problems.append("LLM text outside a bot turn")
        elif kind == "response.audio.delta":
            if not self._in_turn:
                problems.append("bot audio outside a bot turn")
            elif "unmute.response.text.delta.ready" not in self._turn_events:
                problems.append(f"bot audio before any LLM text: {where}")
        elif isinstance(event, ev.UnmuteAdditionalOutputs):
            history = event.args.chat_history
            self._last_history_role = history[-1].role if history else None
        elif kind == "response.audio.done":
            problems.extend(self._check_turn_end(where))
        elif kind == "unmute.interrupted_by_vad" and not self._in_turn:
            problems.append("an interruption outside a bot turn")
        if kind in _TURN_END:
            self._in_turn, self._turn_events = False, []
        elif self._in_turn and kind != "response.created":
            self._turn_events.append(kind)
        return problems

    def _check_turn_end(self, where: str) -> list[str]:
        if not self._in_turn:
            return ["response.audio.done outside a bot turn"]
        problems: list[str] = []
        if "response.audio.delta" not in self._turn_events:
            problems.append(f"a bot turn ended without audio: {where}")
        if not self._turn_events or self._turn_events[-1] != "unmute.additional_outputs":
            problems.append(f"unmute.additional_outputs must come right before it: {where}")
        elif self._last_history_role != "assistant":
            problems.append("the history before response.audio.done does not end with the reply")
        return problems


class AudioStreamChecker:
    """`response.audio.delta` payloads: whole Ogg pages of ONE continuous stream per
    connection, begun once (OpusHead on the first page) and never restarted."""

    def __init__(self) -> None:
        self._splitter = OggPageSplitter()
        self._serial: int | None = None

    def feed(self, data: bytes) -> list[Violation]:
        problems: list[str] = []
        try:
            self._splitter.feed(data)
            while (page := self._splitter.next_page()) is not None:
                if self._serial is None:
                    if not page.is_bos or not page.body.startswith(b"OpusHead"):
                        problems.append("the first audio page does not begin an Opus stream")
                    self._serial = page.serial
                elif page.is_bos:
                    problems.append("the audio stream was restarted (a second OpusHead page)")
                elif page.serial != self._serial:
                    problems.append("audio pages from a second logical stream")
        except OggFormatError as error:
            problems.append(f"bad Ogg data: {error}")
        if self._splitter.pending_bytes:
            problems.append("an audio delta does not end on an Ogg page boundary")
            self._splitter = OggPageSplitter()
        return [Violation("audio_stream", problem) for problem in problems]
