"""A scripted timeline for the conversation core: feed inputs, read the actions back."""

from __future__ import annotations

from dataclasses import dataclass, field

from backend.conversation import rules
from backend.conversation.machine import Conversation
from backend.conversation.signals import (
    Action,
    BotWordSpoken,
    Emit,
    Input,
    LlmDone,
    LlmWord,
    PlaybackFinished,
    SessionConfigured,
    SpeakWord,
    StartReply,
    SttStep,
    SttWord,
    Tick,
    UserAudio,
)
from backend.text.spoken_words import SpokenWords

FRAME_S = rules.STT_FRAME_SAMPLES / rules.SAMPLE_RATE


def is_goodbye(text: str) -> bool:
    return text.rstrip().lower().endswith("bye!")


@dataclass
class Script:
    """Drives a `Conversation` the way the session adapter would, 80 ms at a time."""

    conversation: Conversation = field(default_factory=lambda: Conversation(is_goodbye))
    t: float = 0.0
    step_idx: int = 0
    actions: list[Action] = field(default_factory=list)

    def feed(self, signal: Input) -> list[Action]:
        out = self.conversation.handle(signal)
        self.actions += out
        return out

    def start(self, prompt: str = "You are nice.", voice: str = "v1") -> list[Action]:
        out = self.feed(SessionConfigured(self.t, prompt, voice))
        return out + self.feed(UserAudio(self.t, rules.STT_FRAME_SAMPLES))

    def frames(self, n: int, pause: float, words: dict[int, str] | None = None) -> list[Action]:
        """`n` frames of user audio, each answered by a Step, words at given frame offsets."""
        out: list[Action] = []
        for i in range(n):
            self.t += FRAME_S
            out += self.feed(UserAudio(self.t, rules.STT_FRAME_SAMPLES))
            if words and i in words:
                out += self.feed(SttWord(self.t, words[i], self.t))
            out += self.feed(SttStep(self.t, self.step_idx, pause))
            out += self.feed(Tick(self.t))
            self.step_idx += 1
        return out

    def llm_writes(self, *deltas: str, done: bool = False) -> list[Action]:
        """The LLM streams `deltas`, made into words as the reply adapter does (and ends
        its reply when `done`)."""
        rid = self.conversation.response_id
        words = SpokenWords()
        spoken = [word for delta in deltas for word in words.push(delta)] + words.flush()
        out: list[Action] = []
        for word in spoken:
            out += self.feed(LlmWord(self.t, rid, word.text, word.separator))
        if done:
            out += self.feed(LlmDone(self.t, rid))
        return out

    def hear(self, *words: str) -> list[Action]:
        """The listener's playback reaches `words`, 0.1 s apart."""
        rid = self.conversation.response_id
        out: list[Action] = []
        for word in words:
            self.t += 0.1
            out += self.feed(BotWordSpoken(self.t, rid, word))
        return out

    def reply(self, text: str, *, finish: bool = True) -> list[Action]:
        """The LLM answers `text`, the TTS speaks every word, playback finishes."""
        out = self.llm_writes(text, done=True)
        out += self.hear(*(a.text for a in out if isinstance(a, SpeakWord)))
        if finish:
            out += self.feed(PlaybackFinished(self.t, self.conversation.response_id))
        return out


def event_types(actions: list[Action]) -> list[str]:
    return [a.event.type for a in actions if isinstance(a, Emit)]


def starts(actions: list[Action]) -> list[StartReply]:
    return [a for a in actions if isinstance(a, StartReply)]
