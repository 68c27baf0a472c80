"""One OpenAI Realtime response: the core's reply, told as OpenAI's server events, in order.

`response.created`; then for the spoken (or written) answer `response.output_item.added`,
`conversation.item.added`, `response.content_part.added`, transcript (or text) and audio
deltas; for each tool call a `function_call` item with its arguments; at the end the
`…done` events and `response.done`. Pure: each method returns the events to send.
The message item's transcript is what the user heard (the words the playback reached),
so a reply cut short keeps only its heard words.
"""

from __future__ import annotations

from typing import Literal

from openai.types.realtime import (
    ConversationItemAdded,
    ConversationItemDone,
    RealtimeConversationItemAssistantMessage,
    RealtimeConversationItemFunctionCall,
    RealtimeResponse,
    RealtimeResponseStatus,
    RealtimeResponseUsage,
    ResponseAudioDeltaEvent,
    ResponseAudioDoneEvent,
    ResponseAudioTranscriptDeltaEvent,
    ResponseAudioTranscriptDoneEvent,
    ResponseContentPartAddedEvent,
    ResponseContentPartDoneEvent,
    ResponseCreatedEvent,
    ResponseDoneEvent,
    ResponseFunctionCallArgumentsDeltaEvent,
    ResponseFunctionCallArgumentsDoneEvent,
    ResponseOutputItemAddedEvent,
    ResponseOutputItemDoneEvent,
    ResponseTextDeltaEvent,
    ResponseTextDoneEvent,
)
from openai.types.realtime.realtime_conversation_item_assistant_message import Content
from openai.types.realtime.realtime_response_usage_input_token_details import (
    RealtimeResponseUsageInputTokenDetails,
)
from openai.types.realtime.realtime_response_usage_output_token_details import (
    RealtimeResponseUsageOutputTokenDetails,
)
from openai.types.realtime.response_content_part_added_event import Part as AddedPart
from openai.types.realtime.response_content_part_done_event import Part as DonePart
from pydantic import BaseModel

from backend.clients.llm import LlmUsage
from backend.openai_realtime.items import ConversationItems
from backend.openai_realtime.wire import new_id

Status = Literal["completed", "cancelled", "failed", "incomplete"]
CancelReason = Literal["turn_detected", "client_cancelled"]


def _event_id() -> str:
    return new_id("event")


class ResponseStream:
    def __init__(
        self, items: ConversationItems, *, spoken: bool, in_conversation: bool = True
    ) -> None:
        self.id = new_id("resp")
        self._items = items
        self.spoken = spoken
        self.in_conversation = in_conversation
        self.output: list[
            RealtimeConversationItemAssistantMessage | RealtimeConversationItemFunctionCall
        ] = []
        self._message: RealtimeConversationItemAssistantMessage | None = None
        self._message_index = 0
        self._calls: dict[str, RealtimeConversationItemFunctionCall] = {}  # by call_id
        self._generated = ""  # the answer's text as the LLM wrote it
        self._heard: list[tuple[str, float]] = []  # (word, ms of audio played when reached)
        self._first_audio_at: float | None = None
        self.finished = False
        self.usage: LlmUsage | None = None  # the LLM's token counts, known at the end

    @property
    def message_id(self) -> str | None:
        return self._message.id if self._message is not None else None

    def _response(
        self, status: str, details: RealtimeResponseStatus | None = None
    ) -> RealtimeResponse:
        return RealtimeResponse(
            id=self.id,
            object="realtime.response",
            status=status,
            status_details=details,
            output=list(self.output),
            output_modalities=["audio" if self.spoken else "text"],
            conversation_id="conv_default" if self.in_conversation else None,
            metadata=None,
            usage=_usage(self.usage) if status != "in_progress" else None,
        )

    def created(self) -> list[BaseModel]:
        return [
            ResponseCreatedEvent(
                type="response.created",
                event_id=_event_id(),
                response=self._response("in_progress"),
            )
        ]

    # --- the answer ---------------------------------------------------------------------

    def _add_item(
        self, item: RealtimeConversationItemAssistantMessage | RealtimeConversationItemFunctionCall
    ) -> list[BaseModel]:
        previous = self._items.add(item) if self.in_conversation else None
        if not self.in_conversation:
            item.id = new_id("item")
            item.object = "realtime.item"
        self.output.append(item)
        events: list[BaseModel] = [
            ResponseOutputItemAddedEvent(
                type="response.output_item.added",
                event_id=_event_id(),
                response_id=self.id,
                output_index=len(self.output) - 1,
                item=item.model_copy(deep=True),
            )
        ]
        if self.in_conversation:
            events.append(
                ConversationItemAdded(
                    type="conversation.item.added",
                    event_id=_event_id(),
                    previous_item_id=previous,
                    item=item.model_copy(deep=True),
                )
            )
        return events

    def _open_message(self) -> list[BaseModel]:
        if self._message is not None:
            return []
        self._message = RealtimeConversationItemAssistantMessage(
            type="message", role="assistant", status="in_progress", content=[]
        )
        events = self._add_item(self._message)
        self._message_index = len(self.output) - 1
        assert self._message.id is not None
        part_type: Literal["audio", "text"] = "audio" if self.spoken else "text"
        part = (
            AddedPart(type=part_type, transcript="")
            if self.spoken
            else AddedPart(type="text", text="")
        )
        events.append(
            ResponseContentPartAddedEvent(
                type="response.content_part.added",
                event_id=_event_id(),
                response_id=self.id,
                item_id=self._message.id,
                output_index=self._message_index,
                content_index=0,
                part=part,
            )
        )
        return events

    def text_delta(self, delta: str) -> list[BaseModel]:
        """The LLM wrote more of the answer."""
        if self.finished:
            return []
        events = self._open_message()
        assert self._message is not None and self._message.id is not None
        self._generated += delta
        where = {
            "event_id": _event_id(),
            "response_id": self.id,
            "item_id": self._message.id,
            "output_index": self._message_index,
            "content_index": 0,
            "delta": delta,
        }
        if self.spoken:
            events.append(
                ResponseAudioTranscriptDeltaEvent(
                    type="response.output_audio_transcript.delta", **where
                )
            )
        else:
            events.append(ResponseTextDeltaEvent(type="response.output_text.delta", **where))
        return events

    def audio_delta(self, audio_b64: str, now: float) -> list[BaseModel]:
        """The voice; dropped when there is no answer to carry it (a tool call only)."""
        if self.finished or not self.spoken or self._message is None or not audio_b64:
            return []
        assert self._message.id is not None
        if self._first_audio_at is None:
            self._first_audio_at = now
        return [
            ResponseAudioDeltaEvent(
                type="response.output_audio.delta",
                event_id=_event_id(),
                response_id=self.id,
                item_id=self._message.id,
                output_index=self._message_index,
                content_index=0,
                delta=audio_b64,
            )
        ]

    def heard(self, word: str, now: float) -> None:
        """The playback reached `word`."""
        started = self._first_audio_at if self._first_audio_at is not None else now
        self._heard.append((word, (now - started) * 1000.0))

    def heard_before(self, audio_end_ms: float) -> str:
        return " ".join(word for word, at_ms in self._heard if at_ms < audio_end_ms)

    def _open_call(self, call_id: str, name: str) -> list[BaseModel]:
        if call_id in self._calls:
            return []
        item = RealtimeConversationItemFunctionCall(
            type="function_call", status="in_progress", call_id=call_id, name=name, arguments=""
        )
        self._calls[call_id] = item
        return self._add_item(item)

    def tool_call_delta(self, call_id: str, name: str, arguments: str) -> list[BaseModel]:
        """More of a tool call's arguments, as the LLM writes them."""
        if self.finished:
            return []
        events = self._open_call(call_id, name)
        item = self._calls[call_id]
        if arguments and item.id is not None:
            events.append(
                ResponseFunctionCallArgumentsDeltaEvent(
                    type="response.function_call_arguments.delta",
                    event_id=_event_id(),
                    response_id=self.id,
                    item_id=item.id,
                    output_index=self.output.index(item),
                    call_id=call_id,
                    delta=arguments,
                )
            )
        return events

    def tool_call(self, call_id: str, name: str, arguments: str) -> list[BaseModel]:
        """The whole call: its arguments are complete."""
        if self.finished:
            return []
        events = self._open_call(call_id, name)
        item = self._calls[call_id]
        assert item.id is not None
        item.name, item.arguments, item.status = name, arguments, "completed"
        index = self.output.index(item)
        events += [
            ResponseFunctionCallArgumentsDoneEvent(
                type="response.function_call_arguments.done",
                event_id=_event_id(),
                response_id=self.id,
                item_id=item.id,
                output_index=index,
                call_id=call_id,
                name=name,
                arguments=arguments,
            ),
            *self._item_done(item, index),
        ]
        return events

    def _item_done(
        self,
        item: RealtimeConversationItemAssistantMessage | RealtimeConversationItemFunctionCall,
        index: int,
    ) -> list[BaseModel]:
        events: list[BaseModel] = [
            ResponseOutputItemDoneEvent(
                type="response.output_item.done",
                event_id=_event_id(),
                response_id=self.id,
                output_index=index,
                item=item.model_copy(deep=True),
            )
        ]
        if self.in_conversation:
            events.append(
                ConversationItemDone(
                    type="conversation.item.done",
                    event_id=_event_id(),
                    item=item.model_copy(deep=True),
                )
            )
        return events

    # --- the end ------------------------------------------------------------------------

    def finish(
        self, status: Status, reason: CancelReason | None = None, usage: LlmUsage | None = None
    ) -> list[BaseModel]:
        if self.finished:
            return []
        self.finished = True
        self.usage = usage
        events: list[BaseModel] = []
        message = self._message
        if message is not None and message.id is not None:
            events += self._finish_message(message, status)
        details = (
            RealtimeResponseStatus(type=status, reason=reason) if status != "completed" else None
        )
        events.append(
            ResponseDoneEvent(
                type="response.done", event_id=_event_id(), response=self._response(status, details)
            )
        )
        return events

    def _finish_message(
        self, message: RealtimeConversationItemAssistantMessage, status: Status
    ) -> list[BaseModel]:
        """The message's last events: its text (what was heard, for a spoken reply), its
        content part and the item, done."""
        events: list[BaseModel] = []
        if self.spoken:
            heard = " ".join(word for word, _ in self._heard)
            text = heard if status != "completed" else (heard or self._generated.strip())
            message.content = [Content(type="output_audio", transcript=text)]
        else:
            text = self._generated.strip()
            message.content = [Content(type="output_text", text=text)]
        message.status = "completed" if status == "completed" else "incomplete"
        where = {
            "response_id": self.id,
            "item_id": message.id,
            "output_index": self._message_index,
            "content_index": 0,
        }
        if self.spoken:
            events += [
                ResponseAudioDoneEvent(
                    type="response.output_audio.done", event_id=_event_id(), **where
                ),
                ResponseAudioTranscriptDoneEvent(
                    type="response.output_audio_transcript.done",
                    event_id=_event_id(),
                    transcript=text,
                    **where,
                ),
            ]
            part = DonePart(type="audio", transcript=text)
        else:
            events.append(
                ResponseTextDoneEvent(
                    type="response.output_text.done", event_id=_event_id(), text=text, **where
                )
            )
            part = DonePart(type="text", text=text)
        events.append(
            ResponseContentPartDoneEvent(
                type="response.content_part.done", event_id=_event_id(), part=part, **where
            )
        )
        events += self._item_done(message, self._message_index)
        return events


def _usage(usage: LlmUsage | None) -> RealtimeResponseUsage:
    """The LLM's text tokens, as its server counted them (zeros when it did not say): the
    voice is made by the speech servers, which count no tokens."""
    if usage is None:
        return RealtimeResponseUsage(total_tokens=0, input_tokens=0, output_tokens=0)
    return RealtimeResponseUsage(
        total_tokens=usage.input_tokens + usage.output_tokens,
        input_tokens=usage.input_tokens,
        output_tokens=usage.output_tokens,
        input_token_details=RealtimeResponseUsageInputTokenDetails(
            text_tokens=usage.input_tokens,
            cached_tokens=usage.cached_tokens,
            audio_tokens=0,
        ),
        output_token_details=RealtimeResponseUsageOutputTokenDetails(
            text_tokens=usage.output_tokens, audio_tokens=0
        ),
    )
