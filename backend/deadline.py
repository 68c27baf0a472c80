"""Deadlines for the waits a user notices, and the rule that says who missed one.

A deadline is a moment on the monotonic clock, set once when the wait starts and passed
down to everything done inside it, so retries share one budget instead of multiplying
their own timeouts. `FirstAudioWatch` is the reply's deadline: the user hears the bot
within `within_s` of the end of their turn, or is told what failed. It is pure: every
method takes `now`, so timelines can be scripted in tests.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass

# The end of the user's turn to the bot's first audio. A reply takes about a second;
# this leaves room for a slow model and a TTS failover, yet the user is not left guessing.
DEFAULT_REPLY_DEADLINE_S = 10.0


@dataclass(frozen=True)
class Deadline:
    """A moment on the monotonic clock by which a wait must be over."""

    at: float

    @classmethod
    def after(cls, seconds: float, now: float) -> Deadline:
        if seconds <= 0:
            raise ValueError(f"a deadline must lie ahead, got {seconds} s")
        return cls(now + seconds)

    def remaining_s(self, now: float) -> float:
        return max(0.0, self.at - now)

    def passed(self, now: float) -> bool:
        return now >= self.at

    def sooner(self, other: Deadline | None) -> Deadline:
        return self if other is None or self.at <= other.at else other


class Late(enum.Enum):
    """Who kept the user waiting past the reply's deadline."""

    LLM = "the language model gave no word"
    TTS = "speech synthesis gave no audio"


class FirstAudioWatch:
    """The reply's deadline: first audio by `deadline`, else the late part is named once."""

    def __init__(self, deadline: Deadline) -> None:
        self.deadline = deadline
        self._llm_answered = False
        self._audio_heard = False
        self._settled = False  # met, or missed and reported

    def llm_answered(self) -> None:
        """The LLM produced a word, or gave up and said so itself."""
        self._llm_answered = True

    def audio_heard(self) -> None:
        self._audio_heard = True
        self._settled = True

    def tts_gave_up(self) -> None:
        """The TTS failed and the user was told: the deadline has nothing left to say."""
        self._settled = True

    def next_check_at(self) -> float | None:
        """When `check` may next have news; None once the deadline is met or reported."""
        return None if self._settled else self.deadline.at

    def check(self, now: float) -> Late | None:
        """The late part, once, when the deadline passes before any audio."""
        if self._settled or not self.deadline.passed(now):
            return None
        self._settled = True
        return Late.TTS if self._llm_answered else Late.LLM
