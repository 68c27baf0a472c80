"""The OpenAI Realtime API's messages, as the official `openai` SDK types them.

Client events are validated against the SDK's own models, so what OpenAI's clients send
is read exactly as OpenAI defines it; server events are built from them, so what we send
has their shape. Errors have OpenAI's shape: `{type: "error", error: {type, code, message,
param, event_id}}`, `event_id` naming the client event at fault.
"""

from __future__ import annotations

import json
import os
import string
from typing import Any

from openai.types.realtime import (
    ConversationItemCreateEvent,
    ConversationItemDeleteEvent,
    ConversationItemRetrieveEvent,
    ConversationItemTruncateEvent,
    InputAudioBufferAppendEvent,
    InputAudioBufferClearEvent,
    InputAudioBufferCommitEvent,
    OutputAudioBufferClearEvent,
    RealtimeError,
    RealtimeErrorEvent,
    ResponseCancelEvent,
    ResponseCreateEvent,
    SessionUpdateEvent,
)
from pydantic import BaseModel, ValidationError

_ALPHABET = string.ascii_letters + string.digits

ClientEvent = (
    ConversationItemCreateEvent
    | ConversationItemDeleteEvent
    | ConversationItemRetrieveEvent
    | ConversationItemTruncateEvent
    | InputAudioBufferAppendEvent
    | InputAudioBufferClearEvent
    | InputAudioBufferCommitEvent
    | OutputAudioBufferClearEvent
    | ResponseCancelEvent
    | ResponseCreateEvent
    | SessionUpdateEvent
)
CLIENT_EVENTS: dict[str, type[ClientEvent]] = {
    "conversation.item.create": ConversationItemCreateEvent,
    "conversation.item.delete": ConversationItemDeleteEvent,
    "conversation.item.retrieve": ConversationItemRetrieveEvent,
    "conversation.item.truncate": ConversationItemTruncateEvent,
    "input_audio_buffer.append": InputAudioBufferAppendEvent,
    "input_audio_buffer.clear": InputAudioBufferClearEvent,
    "input_audio_buffer.commit": InputAudioBufferCommitEvent,
    "output_audio_buffer.clear": OutputAudioBufferClearEvent,
    "response.cancel": ResponseCancelEvent,
    "response.create": ResponseCreateEvent,
    "session.update": SessionUpdateEvent,
}
_MAX_PROBLEMS = 3
MAX_MESSAGE_BYTES = 15 * 1024 * 1024  # OpenAI's own limit on one client event


def new_id(prefix: str) -> str:
    """An id like OpenAI's: `item_`, `resp_`, `event_`… then 22 random alphanumerics."""
    return f"{prefix}_" + "".join(_ALPHABET[b % 62] for b in os.urandom(22))


class ClientEventError(Exception):
    """A client event we refuse; becomes an `error` event, the connection stays open."""

    def __init__(
        self,
        message: str,
        *,
        code: str = "invalid_value",
        param: str | None = None,
        event_id: str | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.code = code
        self.param = param
        self.event_id = event_id

    def event(self) -> RealtimeErrorEvent:
        return error_event(
            "invalid_request_error",
            self.code,
            self.message,
            param=self.param,
            event_id=self.event_id,
        )


def parse_client_frame(text: str | None) -> ClientEvent:
    """The client event in one WebSocket message (`None`: a binary one), or a
    `ClientEventError` saying what is wrong with it."""
    if text is None:
        raise ClientEventError(
            "Binary frames are not supported: send JSON text frames.", code="invalid_event"
        )
    if len(text) > MAX_MESSAGE_BYTES:
        raise ClientEventError(
            f"Message too large ({len(text)} bytes, at most {MAX_MESSAGE_BYTES}).",
            code="message_too_large",
        )
    return parse_client_event(text)


def parse_client_event(text: str) -> ClientEvent:
    """The client event in `text`, or a `ClientEventError` saying what is wrong with it."""
    try:
        raw: Any = json.loads(text)
    except ValueError as error:
        raise ClientEventError(f"Malformed JSON: {error}.", code="invalid_json") from None
    if not isinstance(raw, dict) or not isinstance(raw.get("type"), str):
        raise ClientEventError(
            "Every message must be a JSON object with a string `type` field.",
            code="invalid_event",
            param="type",
        )
    event_id = raw.get("event_id") if isinstance(raw.get("event_id"), str) else None
    model = CLIENT_EVENTS.get(raw["type"])
    if model is None:
        known = ", ".join(sorted(CLIENT_EVENTS))
        raise ClientEventError(
            f"Unknown event type {raw['type'][:100]!r}; expected one of: {known}.",
            code="invalid_event",
            param="type",
            event_id=event_id,
        )
    try:
        return model.model_validate(raw)
    except ValidationError as error:
        problems = error.errors(include_url=False, include_input=False)
        where = _path(problems[0]["loc"]) if problems else None
        details = "; ".join(
            f"{_path(problem['loc']) or 'message'}: {problem['msg']}"
            for problem in problems[:_MAX_PROBLEMS]
        )
        raise ClientEventError(
            f"Invalid {raw['type']}: {details}.", param=where or None, event_id=event_id
        ) from None


def _path(loc: tuple[int | str, ...]) -> str:
    """`session.audio.input.format.rate`: the field's path as the client wrote it (union
    members' model names, which pydantic puts in the path, left out)."""
    return ".".join(str(part) for part in loc if not (isinstance(part, str) and part[:1].isupper()))


def error_event(
    kind: str,
    code: str | None,
    message: str,
    *,
    param: str | None = None,
    event_id: str | None = None,
) -> RealtimeErrorEvent:
    return RealtimeErrorEvent(
        type="error",
        event_id=new_id("event"),
        error=RealtimeError(type=kind, code=code, message=message, param=param, event_id=event_id),
    )


def serialize(event: BaseModel) -> str:
    """JSON of a server event: the fields we set (explicit nulls included), nothing else."""
    return event.model_dump_json(exclude_unset=True)
