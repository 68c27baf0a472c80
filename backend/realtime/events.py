"""Typed events of the browser protocol (`/v1/realtime`), validated both ways.

Names follow the OpenAI Realtime API where one exists, with `unmute.*` extensions.
Existing clients reject unknown server event types, so `ServerEvent` lists exactly the
ones they know.
"""

from __future__ import annotations

import os
import string
from typing import Annotated, Any, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    SerializerFunctionWrapHandler,
    TypeAdapter,
    field_validator,
    model_serializer,
)

_ID_ALPHABET = string.ascii_letters + string.digits
# Byte value → its symbol, for `bytes.translate`: one C call per id.
_ID_SYMBOL_OF_BYTE = bytes(ord(_ID_ALPHABET[b % 62]) for b in range(256))

Language = Literal["en", "fr", "en/fr", "fr/en"]


def new_event_id() -> str:
    """An id like `event_BJhGUIswO2u7vA2Cxw3Jy` (21 random alphanumerics).

    One `os.urandom` call per id, mapped to symbols in one `bytes.translate`: this runs
    for every event of every conversation. (62 symbols from a byte: the small bias is
    harmless for an id.)
    """
    return "event_" + os.urandom(21).translate(_ID_SYMBOL_OF_BYTE).decode("ascii")


# --- Instructions: which character the bot plays (an Unmute extension) ---------------


class ConstantInstructions(BaseModel):
    type: Literal["constant"] = "constant"
    text: str = Field(max_length=20_000)
    language: Language | None = None


class SmalltalkInstructions(BaseModel):
    type: Literal["smalltalk"] = "smalltalk"
    language: Language | None = None


class GuessAnimalInstructions(BaseModel):
    type: Literal["guess_animal"] = "guess_animal"
    language: Language | None = None


class QuizShowInstructions(BaseModel):
    type: Literal["quiz_show"] = "quiz_show"
    language: Language | None = None


class NewsInstructions(BaseModel):
    type: Literal["news"] = "news"
    language: Language | None = None


class UnmuteExplanationInstructions(BaseModel):
    type: Literal["unmute_explanation"] = "unmute_explanation"


Instructions = Annotated[
    ConstantInstructions
    | SmalltalkInstructions
    | GuessAnimalInstructions
    | QuizShowInstructions
    | NewsInstructions
    | UnmuteExplanationInstructions,
    Field(discriminator="type"),
]


def _without_unset(data: dict[str, Any], extensions: tuple[str, ...]) -> dict[str, Any]:
    for key in extensions:
        if data.get(key) is None:
            data.pop(key, None)
    return data


# A conversation resumed on a new connection (its backend died): the turns the client kept.
# Bounded so that no client can make a session hold much: a whole call at the longest
# (30 min of alternating speech is ~30 000 characters) fits with room. The LLM is sent
# only the newest of them, within the same budget as any history (UNMUTE_LLM_HISTORY_CHARS).
MAX_PRIOR_MESSAGES = 1000
MAX_PRIOR_HISTORY_CHARS = 100_000


class PriorMessage(BaseModel):
    """A turn of the conversation as the client heard it; no system prompt: the backend
    sets that from the session's instructions."""

    model_config = ConfigDict(extra="forbid")
    role: Literal["user", "assistant"]
    content: str = Field(min_length=1, max_length=MAX_PRIOR_HISTORY_CHARS)


class SessionConfig(BaseModel):
    instructions: Instructions | None = None
    voice: str | None = Field(default=None, max_length=500)
    allow_recording: bool = False
    # Unmute extensions, each echoed only to a client that sent it:
    # the client shows the bot's tool calls (`unmute.tool_call`);
    tool_events: bool | None = None
    # the client keeps the chat history and takes only what changed (`chat_history_start`).
    history_updates: Literal["delta"] | None = None
    # the conversation so far, offered back to resume it (first `session.update` only;
    # taken in, never echoed: it comes back in the chat history).
    history: list[PriorMessage] | None = Field(default=None, max_length=MAX_PRIOR_MESSAGES)

    @field_validator("history")
    @classmethod
    def _bounded_history(cls, history: list[PriorMessage] | None) -> list[PriorMessage] | None:
        total = sum(len(message.content) for message in history or ())
        if total > MAX_PRIOR_HISTORY_CHARS:
            raise ValueError(
                f"history too long: {total} characters, at most {MAX_PRIOR_HISTORY_CHARS}"
            )
        return history

    @model_serializer(mode="wrap")
    def _omit_unasked_extension(self, handler: SerializerFunctionWrapHandler) -> dict[str, Any]:
        # Existing clients get the session they know.
        return _without_unset(handler(self), ("tool_events", "history_updates", "history"))


# --- Client -> server -----------------------------------------------------------------


class _ClientEvent(BaseModel):
    event_id: str | None = Field(default=None, max_length=200)


class SessionUpdate(_ClientEvent):
    type: Literal["session.update"] = "session.update"
    session: SessionConfig


class InputAudioBufferAppend(_ClientEvent):
    type: Literal["input_audio_buffer.append"] = "input_audio_buffer.append"
    audio: str


class InputAudioBufferAppendAnonymized(_ClientEvent):
    type: Literal["unmute.input_audio_buffer.append_anonymized"] = (
        "unmute.input_audio_buffer.append_anonymized"
    )
    number_of_samples: int


ClientEvent = Annotated[
    SessionUpdate | InputAudioBufferAppend | InputAudioBufferAppendAnonymized,
    Field(discriminator="type"),
]
client_event_adapter: TypeAdapter[ClientEvent] = TypeAdapter(ClientEvent)


# --- Server -> client -----------------------------------------------------------------


class _ServerEvent(BaseModel):
    model_config = ConfigDict(frozen=True)
    event_id: str = Field(default_factory=new_event_id)


class ErrorDetails(BaseModel):
    type: Literal["fatal", "warning", "invalid_request_error"]
    code: str | None = None
    message: str
    param: str | None = None
    details: Any = None


class Error(_ServerEvent):
    type: Literal["error"] = "error"
    error: ErrorDetails


class SessionUpdated(_ServerEvent):
    type: Literal["session.updated"] = "session.updated"
    session: SessionConfig


class ChatMessage(BaseModel):
    role: Literal["system", "user", "assistant"]
    content: str


class Response(BaseModel):
    object: Literal["realtime.response"] = "realtime.response"
    status: Literal["in_progress", "completed", "cancelled", "failed", "incomplete"] = "in_progress"
    voice: str
    chat_history: list[ChatMessage] = Field(default_factory=list)


class ResponseCreated(_ServerEvent):
    type: Literal["response.created"] = "response.created"
    response: Response


class UnmuteResponseTextDeltaReady(_ServerEvent):
    type: Literal["unmute.response.text.delta.ready"] = "unmute.response.text.delta.ready"
    delta: str


class ResponseTextDelta(_ServerEvent):
    type: Literal["response.text.delta"] = "response.text.delta"
    delta: str


class ResponseTextDone(_ServerEvent):
    type: Literal["response.text.done"] = "response.text.done"
    text: str


class ResponseAudioDelta(_ServerEvent):
    type: Literal["response.audio.delta"] = "response.audio.delta"
    delta: str


class ResponseAudioDone(_ServerEvent):
    type: Literal["response.audio.done"] = "response.audio.done"


class InputAudioTranscriptionDelta(_ServerEvent):
    type: Literal["conversation.item.input_audio_transcription.delta"] = (
        "conversation.item.input_audio_transcription.delta"
    )
    delta: str
    start_time: float


class SpeechStarted(_ServerEvent):
    type: Literal["input_audio_buffer.speech_started"] = "input_audio_buffer.speech_started"


class SpeechStopped(_ServerEvent):
    type: Literal["input_audio_buffer.speech_stopped"] = "input_audio_buffer.speech_stopped"


class UnmuteInterruptedByVad(_ServerEvent):
    type: Literal["unmute.interrupted_by_vad"] = "unmute.interrupted_by_vad"


class AdditionalOutputsArgs(BaseModel):
    chat_history: list[ChatMessage]
    debug_dict: dict[str, Any] = Field(default_factory=dict)
    debug_plot_data: list[Any] = Field(default_factory=list)
    # For a client that asked for `history_updates: "delta"`: `chat_history` holds the
    # messages from this index on; the client keeps the ones before it.
    chat_history_start: int | None = None

    @model_serializer(mode="wrap")
    def _omit_unasked_extension(self, handler: SerializerFunctionWrapHandler) -> dict[str, Any]:
        return _without_unset(handler(self), ("chat_history_start",))


class UnmuteAdditionalOutputs(_ServerEvent):
    type: Literal["unmute.additional_outputs"] = "unmute.additional_outputs"
    args: AdditionalOutputsArgs


ServerEvent = Annotated[
    Error
    | SessionUpdated
    | ResponseCreated
    | UnmuteResponseTextDeltaReady
    | ResponseTextDelta
    | ResponseTextDone
    | ResponseAudioDelta
    | ResponseAudioDone
    | InputAudioTranscriptionDelta
    | SpeechStarted
    | SpeechStopped
    | UnmuteInterruptedByVad
    | UnmuteAdditionalOutputs,
    Field(discriminator="type"),
]
server_event_adapter: TypeAdapter[ServerEvent] = TypeAdapter(ServerEvent)


ToolStatus = Literal["running", "done", "timeout", "error", "unavailable", "cancelled"]


class UnmuteToolCall(_ServerEvent):
    """A tool the backend runs for the bot, for a client that asked (`tool_events`): it is
    not a `ServerEvent`, which existing clients must be able to read."""

    type: Literal["unmute.tool_call"] = "unmute.tool_call"
    call_id: str
    server: str  # the MCP server's name in the tools configuration, e.g. "weather"
    tool: str
    status: ToolStatus


ToolEventsServerEvent = Annotated[
    ServerEvent | UnmuteToolCall,
    Field(discriminator="type"),
]
tool_events_server_event_adapter: TypeAdapter[ToolEventsServerEvent] = TypeAdapter(
    ToolEventsServerEvent
)


def error_event(
    kind: Literal["fatal", "warning", "invalid_request_error"],
    message: str,
    *,
    code: str | None = None,
    param: str | None = None,
    details: Any = None,
) -> Error:
    return Error(
        error=ErrorDetails(type=kind, code=code, message=message, param=param, details=details)
    )
