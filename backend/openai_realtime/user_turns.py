"""The user's side of an OpenAI Realtime conversation, told as OpenAI's events.

The user's audio becomes one user message item per turn: its id is chosen when the turn
starts (speech detected, or the first word of a push-to-talk turn), the item is added
when the turn is committed (by the server's turn detection or the client's commit), and
its transcript is completed once the STT has given the turn's last words. Pure.
"""

from __future__ import annotations

from openai.types.realtime import (
    ConversationItemAdded,
    ConversationItemDone,
    ConversationItemInputAudioTranscriptionCompletedEvent,
    ConversationItemInputAudioTranscriptionDeltaEvent,
    InputAudioBufferCommittedEvent,
    InputAudioBufferSpeechStartedEvent,
    InputAudioBufferSpeechStoppedEvent,
    RealtimeConversationItemUserMessage,
)
from openai.types.realtime.conversation_item_input_audio_transcription_completed_event import (
    UsageTranscriptTextUsageDuration,
)
from openai.types.realtime.realtime_conversation_item_user_message import Content
from pydantic import BaseModel

from backend.openai_realtime.items import ConversationItems
from backend.openai_realtime.wire import new_id

SAMPLE_RATE = 24_000


def _event_id() -> str:
    return new_id("event")


class UserTurns:
    def __init__(self, items: ConversationItems) -> None:
        self._items = items
        self.samples = 0  # user audio received over the connection
        self.uncommitted_samples = 0  # since the last commit or clear
        self._item_id: str | None = None
        self._item: RealtimeConversationItemUserMessage | None = None  # once committed
        self._turn_started_samples = 0
        self._words = 0

    def _ms(self, samples: int) -> int:
        return samples * 1000 // SAMPLE_RATE

    def audio(self, samples: int) -> None:
        self.samples += samples
        self.uncommitted_samples += samples

    def _current_id(self) -> str:
        if self._item_id is None:
            self._item_id = new_id("item")
            self._turn_started_samples = max(0, self.samples - self.uncommitted_samples)
            self._words = 0
        return self._item_id

    def speech_started(self) -> list[BaseModel]:
        item_id = self._current_id()
        return [
            InputAudioBufferSpeechStartedEvent(
                type="input_audio_buffer.speech_started",
                event_id=_event_id(),
                item_id=item_id,
                audio_start_ms=self._ms(self._turn_started_samples),
            )
        ]

    def word(self, text: str) -> list[BaseModel]:
        item_id = self._current_id()
        delta = text if self._words == 0 else f" {text}"
        self._words += 1
        return [
            ConversationItemInputAudioTranscriptionDeltaEvent(
                type="conversation.item.input_audio_transcription.delta",
                event_id=_event_id(),
                item_id=item_id,
                content_index=0,
                delta=delta,
            )
        ]

    def speech_stopped(self) -> list[BaseModel]:
        item_id = self._current_id()
        stopped = InputAudioBufferSpeechStoppedEvent(
            type="input_audio_buffer.speech_stopped",
            event_id=_event_id(),
            item_id=item_id,
            audio_end_ms=self._ms(self.samples),
        )
        return [stopped, *self.commit()]

    def commit(self) -> list[BaseModel]:
        """The buffered audio becomes a user message item (its transcript comes later)."""
        if self._item is not None:
            return []  # already committed; its transcript is still awaited
        item_id = self._current_id()
        self.uncommitted_samples = 0
        self._item = RealtimeConversationItemUserMessage(
            id=item_id,
            type="message",
            role="user",
            status="completed",
            content=[Content(type="input_audio", transcript=None)],
        )
        previous = self._items.add(self._item)
        return [
            InputAudioBufferCommittedEvent(
                type="input_audio_buffer.committed",
                event_id=_event_id(),
                item_id=item_id,
                previous_item_id=previous,
            ),
            ConversationItemAdded(
                type="conversation.item.added",
                event_id=_event_id(),
                previous_item_id=previous,
                item=self._item.model_copy(deep=True),
            ),
        ]

    def clear(self) -> None:
        """Audio not yet committed is dropped, with the words heard in it."""
        self.uncommitted_samples = 0
        if self._item is None:
            self._item_id = None

    def final(self, transcript: str) -> list[BaseModel]:
        """The turn's last words are in: complete the item's transcript."""
        item = self._item
        if item is None or item.id is None:
            return []  # nothing was committed: a cleared turn
        self._item, self._item_id = None, None
        item.content = [Content(type="input_audio", transcript=transcript)]
        seconds = max(0, self.samples - self._turn_started_samples) / SAMPLE_RATE
        return [
            ConversationItemInputAudioTranscriptionCompletedEvent(
                type="conversation.item.input_audio_transcription.completed",
                event_id=_event_id(),
                item_id=item.id,
                content_index=0,
                transcript=transcript,
                usage=UsageTranscriptTextUsageDuration(type="duration", seconds=round(seconds, 3)),
            ),
            ConversationItemDone(
                type="conversation.item.done", event_id=_event_id(), item=item.model_copy(deep=True)
            ),
        ]
