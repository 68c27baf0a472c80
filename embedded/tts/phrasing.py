"""Group words arriving one by one from an LLM into phrases worth speaking.

Speaking each word alone sounds robotic (no prosody across words); waiting for the whole
reply wastes seconds. A phrase ends at punctuation, when it grows long, or when the LLM
pauses; the first phrase of a reply is cut early because it sets the response latency.
Pure logic: the caller passes the clock and asks when the next idle cut is due.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

# Two words are enough for espeak to phrase naturally, and each word waited for costs the
# reply's first audio an LLM word (~15 ms from SmolLM2 on one core) when the reply opens
# without punctuation, as most do.
FIRST_PHRASE_MAX_WORDS = 2
# Longer clauses without punctuation are rare; cutting them bounds the wait for audio.
PHRASE_MAX_WORDS = 12
# Most words per phrase, for the first, second… phrase; the last applies from then on.
WORD_LIMITS = (FIRST_PHRASE_MAX_WORDS, PHRASE_MAX_WORDS)
# An LLM streams a word every 20-60 ms; a longer silence means it stalled, so speak what we have.
IDLE_CUT_S = 0.2
# Silence after a phrase, as a speaker pauses at a full stop or a comma.
SENTENCE_PAUSE_S = 0.3
CLAUSE_PAUSE_S = 0.12

_SENTENCE_END = (".", "!", "?", "…")
_CLAUSE_END = (",", ";", ":", "—", "–")
# Closing quotes and brackets after the punctuation do not change where the phrase ends.
CLOSERS = "\"')]}»”’"

Ending = Literal["sentence", "clause", "open"]


@dataclass(frozen=True)
class Phrase:
    words: tuple[str, ...]
    ending: Ending

    @property
    def pause_after_s(self) -> float:
        """Silence to leave after this phrase before the next one."""
        if self.ending == "sentence":
            return SENTENCE_PAUSE_S
        if self.ending == "clause":
            return CLAUSE_PAUSE_S
        return 0.0


def ending_of(word: str) -> Ending:
    stripped = word.rstrip(CLOSERS)
    if stripped.endswith(_SENTENCE_END):
        return "sentence"
    if stripped.endswith(_CLAUSE_END):
        return "clause"
    return "open"


class PhraseChunker:
    """Collects words and says when they form a phrase."""

    def __init__(self, word_limits: Sequence[int] = WORD_LIMITS) -> None:
        if not word_limits or min(word_limits) < 1:
            raise ValueError("every phrase may hold at least one word")
        self._word_limits = tuple(word_limits)
        self._words: list[str] = []
        self._last_word_at: float | None = None
        self._phrases_cut = 0

    def add_word(self, word: str, now: float) -> Phrase | None:
        """Add one word; returns a phrase when this word completes one."""
        self._words.append(word)
        self._last_word_at = now
        limit = self._word_limits[min(self._phrases_cut, len(self._word_limits) - 1)]
        if ending_of(word) != "open" or len(self._words) >= limit:
            return self._cut()
        return None

    def idle_cut_due_at(self) -> float | None:
        """When pending words must be spoken if no other word arrives; None when none pend."""
        if not self._words or self._last_word_at is None:
            return None
        return self._last_word_at + IDLE_CUT_S

    def cut_if_idle(self, now: float) -> Phrase | None:
        due = self.idle_cut_due_at()
        if due is None or now < due:
            return None
        return self._cut()

    def finish(self) -> Phrase | None:
        """The remaining words, once no more will come."""
        return self._cut() if self._words else None

    def _cut(self) -> Phrase:
        phrase = Phrase(words=tuple(self._words), ending=ending_of(self._words[-1]))
        self._words = []
        self._last_word_at = None
        self._phrases_cut += 1
        return phrase
