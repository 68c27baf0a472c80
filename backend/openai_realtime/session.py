"""One OpenAI Realtime API connection: the adapter between its WebSocket and the runner.

It reads OpenAI's client events, drives the same conversation core as the Unmute route
(turn-taking, barge-in, flush, heard-text history) and says what happens in OpenAI's
server events. The items of the conversation (`items`), the user's turns (`user_turns`)
and each response (`responses`) are pure objects; this module only moves data.
"""

from __future__ import annotations

import base64
import binascii
import time

import numpy as np
from fastapi import WebSocket
from openai.types.realtime import (
    ConversationItem,
    ConversationItemAdded,
    ConversationItemDeletedEvent,
    ConversationItemDone,
    ConversationItemTruncatedEvent,
    InputAudioBufferClearedEvent,
    RealtimeConversationItemAssistantMessage,
    RealtimeConversationItemUserMessage,
    RealtimeResponseCreateParams,
    RealtimeSessionCreateRequest,
    RealtimeTranscriptionSessionCreateRequest,
    SessionCreatedEvent,
    SessionUpdatedEvent,
)
from openai.types.realtime.realtime_conversation_item_assistant_message import Content
from openai.types.realtime.realtime_server_event import ConversationItemRetrieved
from pydantic import BaseModel

from backend.characters.prompts import is_goodbye
from backend.clients.llm import LlmUsage
from backend.conversation import signals as sig
from backend.conversation.machine import Conversation, Phase
from backend.conversation_runner import ConversationRunner, ReplySetup
from backend.log_context import conversation_logger
from backend.openai_realtime import wire
from backend.openai_realtime.audio_format import InputAudio, OutputAudio
from backend.openai_realtime.items import ConversationItems, Item, chat_messages
from backend.openai_realtime.response_request import ResponseRequest
from backend.openai_realtime.responses import ResponseStream
from backend.openai_realtime.session_config import SessionConfig
from backend.openai_realtime.user_turns import UserTurns
from backend.realtime import events as ev
from backend.realtime.public_errors import PublicError
from backend.reply import Pcm
from backend.services import Services
from backend.voice_store import is_custom_voice

logger = conversation_logger(__name__)

MIN_COMMIT_SAMPLES = 2_400  # 100 ms: OpenAI refuses to commit less
_NO_AUDIO: Pcm = np.zeros(0, dtype=np.float32)


class OpenAiRealtimeSession(ConversationRunner):
    def __init__(self, websocket: WebSocket, services: Services, model: str) -> None:
        self._config = SessionConfig(model=model, voice=services.catalog.default_voice().voice_id)
        core = Conversation(
            is_goodbye, services.settings.conversation_limits(), self._config.turn_options()
        )
        super().__init__(websocket, services, core)
        self._items = ConversationItems()
        self._user = UserTurns(self._items)
        self._input = InputAudio(self._config.input_format)
        self._output = OutputAudio(self._config.output_format)
        self._requested: ResponseRequest | None = None  # for the next response
        self._current = ResponseRequest()  # of the response in progress
        self._response: ResponseStream | None = None
        self._by_message: dict[str, ResponseStream] = {}  # for `item.truncate`

    # --- client → backend ---------------------------------------------------------------

    def _on_started(self) -> None:
        self._send(
            SessionCreatedEvent(
                type="session.created",
                event_id=wire.new_id("event"),
                session=self._config.as_session(),
            )
        )
        self._configure_core()

    def _on_client_message(self, message: str | bytes) -> None:
        try:
            event = wire.parse_client_frame(message if isinstance(message, str) else None)
            try:
                self._handle(event)
            except wire.ClientEventError as error:
                error.event_id = error.event_id or event.event_id
                raise
        except wire.ClientEventError as error:
            self._metrics.invalid_requests.inc()
            self._send(error.event())

    def _handle(self, event: wire.ClientEvent) -> None:
        match event.type:
            case "session.update":
                self._update_session(event.session)
            case "input_audio_buffer.append":
                self._append_audio(event.audio)
            case "input_audio_buffer.commit":
                self._commit_audio()
            case "input_audio_buffer.clear":
                self._clear_audio()
            case "conversation.item.create":
                self._create_item(event.item, event.previous_item_id)
            case "conversation.item.retrieve":
                self._retrieve_item(event.item_id)
            case "conversation.item.delete":
                self._delete_item(event.item_id)
            case "conversation.item.truncate":
                self._truncate(event.item_id, event.content_index, event.audio_end_ms)
            case "response.create":
                self._request_response(event.response)
            case "response.cancel" | "output_audio_buffer.clear":
                self._cancel_response()

    def _update_session(
        self, session: RealtimeSessionCreateRequest | RealtimeTranscriptionSessionCreateRequest
    ) -> None:
        if session.type != "realtime":
            raise wire.ClientEventError(
                "Only `realtime` sessions are served here.", param="session.type"
            )
        self._config.update(session)
        self._input = InputAudio(self._config.input_format)
        self._output = OutputAudio(self._config.output_format)
        self._configure_core()
        self._send(
            SessionUpdatedEvent(
                type="session.updated",
                event_id=wire.new_id("event"),
                session=self._config.as_session(),
            )
        )

    def _configure_core(self) -> None:
        now = time.monotonic()
        self._dispatch(sig.TurnOptionsChanged(now, self._config.turn_options()))
        self._dispatch(sig.SessionConfigured(now, self._config.instructions, self._tts_voice()))

    def _tts_voice(self) -> str:
        """The session's voice when this server has it, else the default one (OpenAI's
        voice names are not ours)."""
        voice = self._config.voice
        catalog = self._services.catalog
        if is_custom_voice(voice) and self._services.voices.get(voice) is not None:
            return voice
        if catalog.find_by_voice(voice) is not None:
            return voice
        return catalog.default_voice().voice_id

    def _append_audio(self, audio_b64: str) -> None:
        try:
            data = base64.b64decode(audio_b64, validate=True)
        except (binascii.Error, ValueError):
            raise wire.ClientEventError("`audio` is not valid base64.", param="audio") from None
        pcm = self._input.decode(data)
        if pcm.size:
            self._stt.send_audio(pcm)
            self._user.audio(int(pcm.size))
            self._dispatch(sig.UserAudio(time.monotonic(), int(pcm.size)))

    def _commit_audio(self) -> None:
        if self._user.uncommitted_samples < MIN_COMMIT_SAMPLES:
            raise wire.ClientEventError(
                "Error committing input audio buffer: buffer too small. Expected at "
                f"least 100ms of audio, but buffer only has "
                f"{self._user.uncommitted_samples * 1000 // 24_000}ms of audio.",
                code="input_audio_buffer_commit_empty",
            )
        self._send_all(self._user.commit())
        self._dispatch(sig.UserTurnCommitted(time.monotonic()))

    def _clear_audio(self) -> None:
        self._user.clear()
        self._dispatch(sig.UserTurnCleared(time.monotonic()))
        self._send(
            InputAudioBufferClearedEvent(
                type="input_audio_buffer.cleared", event_id=wire.new_id("event")
            )
        )

    def _create_item(self, item: ConversationItem, previous_item_id: str | None) -> None:
        if isinstance(item, RealtimeConversationItemUserMessage) and any(
            part.type in ("input_audio", "input_image") for part in item.content
        ):
            raise wire.ClientEventError(
                "Only text content can be added to user messages here; stream audio with "
                "input_audio_buffer.append.",
                param="item.content",
            )
        if not isinstance(item, Item):
            raise wire.ClientEventError(
                f"Items of type {item.type!r} are not supported here.", param="item.type"
            )
        item = item.model_copy(deep=True)
        item.status = "completed"
        previous = self._items.add(item, previous_item_id)
        added = ConversationItemAdded(
            type="conversation.item.added",
            event_id=wire.new_id("event"),
            previous_item_id=previous,
            item=item.model_copy(deep=True),
        )
        done = ConversationItemDone(
            type="conversation.item.done",
            event_id=wire.new_id("event"),
            previous_item_id=previous,
            item=item.model_copy(deep=True),
        )
        self._send_all([added, done])

    def _retrieve_item(self, item_id: str) -> None:
        item = self._items.get(item_id)
        self._send(
            ConversationItemRetrieved(
                type="conversation.item.retrieved",
                event_id=wire.new_id("event"),
                item=item.model_copy(deep=True),
            )
        )

    def _delete_item(self, item_id: str) -> None:
        self._items.delete(item_id)
        self._send(
            ConversationItemDeletedEvent(
                type="conversation.item.deleted",
                event_id=wire.new_id("event"),
                item_id=item_id,
            )
        )

    def _truncate(self, item_id: str, content_index: int, audio_end_ms: int) -> None:
        item = self._items.get(item_id)
        if not isinstance(item, RealtimeConversationItemAssistantMessage):
            raise wire.ClientEventError(
                "Only assistant messages can be truncated.", param="item_id"
            )
        if content_index != 0:
            raise wire.ClientEventError(
                "Messages here have one content part.", param="content_index"
            )
        if audio_end_ms < 0:
            raise wire.ClientEventError("audio_end_ms must not be negative.", param="audio_end_ms")
        stream = self._by_message.get(item_id)
        if stream is not None and stream is self._response and not stream.finished:
            self._current.cancel_reason = "client_cancelled"  # the client stopped playing it
            self._dispatch(sig.ReplyCancelRequested(time.monotonic()))
        if stream is not None:
            item.content = [
                Content(type="output_audio", transcript=stream.heard_before(audio_end_ms))
            ]
            item.status = "incomplete"
        self._send(
            ConversationItemTruncatedEvent(
                type="conversation.item.truncated",
                event_id=wire.new_id("event"),
                item_id=item_id,
                content_index=content_index,
                audio_end_ms=audio_end_ms,
            )
        )

    def _request_response(self, params: RealtimeResponseCreateParams | None) -> None:
        replying = self._core.phase is Phase.REPLYING or self._requested is not None
        if replying:
            raise wire.ClientEventError(
                "Conversation already has an active response in progress.",
                code="conversation_already_has_active_response",
            )
        self._requested = ResponseRequest.from_params(params)
        self._dispatch(sig.ReplyRequested(time.monotonic()))

    def _cancel_response(self) -> None:
        if self._response is None or self._response.finished:
            raise wire.ClientEventError(
                "Cancellation failed: no active response found.",
                code="response_cancel_not_active",
            )
        self._current.cancel_reason = "client_cancelled"
        self._dispatch(sig.ReplyCancelRequested(time.monotonic()))

    # --- core → client ------------------------------------------------------------------

    def _reply_usage(self) -> LlmUsage | None:
        """The current reply's token counts, as the LLM server reported them."""
        return self._reply.usage if self._reply is not None else None

    def _emit(self, event: ev.ServerEvent) -> None:
        vad = self._config.turn_detection is not None
        now = time.monotonic()
        stream = self._response
        match event:
            case ev.SpeechStarted():
                if vad:
                    self._send_all(self._user.speech_started())
            case ev.InputAudioTranscriptionDelta():
                self._send_all(self._user.word(event.delta))
            case ev.SpeechStopped():
                self._send_all(self._user.speech_stopped())
            case ev.ResponseCreated():
                self._current = self._requested or ResponseRequest()
                self._requested = None
                modalities = self._current.output_modalities or self._config.output_modalities
                stream = ResponseStream(
                    self._items,
                    spoken="audio" in modalities,
                    in_conversation=self._current.in_conversation,
                )
                self._response = stream
                self._output = OutputAudio(self._config.output_format)  # no cancelled tail
                self._send_all(stream.created())
            case ev.UnmuteResponseTextDeltaReady() if stream is not None:
                self._send_all(stream.text_delta(event.delta))
                if stream.message_id is not None:
                    self._by_message[stream.message_id] = stream
            case ev.ResponseTextDelta() if stream is not None:
                stream.heard(event.delta.strip(), now)
            case ev.ResponseAudioDone() if stream is not None:
                self._send_all(stream.finish("completed", usage=self._reply_usage()))
            case ev.UnmuteInterruptedByVad() if stream is not None:
                reason = self._current.cancel_reason
                self._send_all(stream.finish("cancelled", reason, self._reply_usage()))
            case ev.Error():
                kind = (
                    "invalid_request_error"
                    if event.error.type == "invalid_request_error"
                    else "server_error"
                )
                self._send(wire.error_event(kind, event.error.code, event.error.message))
            case _:
                pass  # Unmute's own events (additional outputs, text done) have no OpenAI twin

    def _on_protocol_action(
        self, action: sig.UserTurnFinal | sig.ToolCallMade | sig.ToolCallProgress
    ) -> None:
        match action:
            case sig.UserTurnFinal(transcript):
                self._send_all(self._user.final(transcript))
            case sig.ToolCallProgress() if self._response is not None:
                self._send_all(
                    self._response.tool_call_delta(action.call_id, action.name, action.arguments)
                )
            case sig.ToolCallMade() if self._response is not None:
                self._send_all(
                    self._response.tool_call(action.call_id, action.name, action.arguments)
                )

    def _reply_setup(self, action: sig.StartReply) -> ReplySetup:
        request = self._current
        instructions = request.instructions or self._config.instructions
        budget = self._services.settings.conversation_limits().llm_history_chars
        if request.input is not None or not request.in_conversation:
            messages = chat_messages(instructions, list(request.input or []), budget)
        else:
            messages = self._items.for_llm(instructions, budget)
        voice = action.voice
        embedding = self._services.voices.get(voice) if is_custom_voice(voice) else None
        options = self._config.reply_options(
            tools=request.tools,
            tool_choice=request.tool_choice,
            output_modalities=request.output_modalities,
        )
        return ReplySetup(messages, voice_embedding=embedding, options=options)

    def _play_audio(self, pcm: Pcm) -> None:
        self._send_audio(self._output.encode(pcm))

    def _end_audio(self) -> None:
        self._send_audio(self._output.encode(_NO_AUDIO, last=True))

    def _send_audio(self, data: bytes) -> None:
        if data and self._response is not None:
            audio_b64 = base64.b64encode(data).decode("ascii")
            self._send_all(self._response.audio_delta(audio_b64, time.monotonic()))

    def _error_event(self, why: PublicError, kind: str) -> BaseModel:
        return wire.error_event("server_error", why.code, why.message)

    def _serialize(self, event: BaseModel) -> str:
        return wire.serialize(event)

    def _send_all(self, events: list[BaseModel]) -> None:
        for event in events:
            self._send(event)
