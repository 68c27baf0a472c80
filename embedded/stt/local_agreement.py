"""Which words of a non-streaming recogniser's repeated guesses are final (LocalAgreement-2).

Whisper transcribes a whole audio window at a time. While the speaker goes on, the window
grows and is transcribed again; a word is final once two consecutive transcriptions agree
on it and on everything before it (the longest common prefix, as in whisper_streaming).
When the utterance ends, its last transcription is final as a whole. Committed words are
never taken back: later transcriptions, which may still contain them (the window starts
before them), only contribute the words that follow.

Words carry stream times. A transcription's words are new when they start after the last
committed word ends (with a little tolerance, since two transcriptions place a boundary
differently) and, just at that boundary, do not repeat the last committed words.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from embedded.stt.word_commit import TimedWord

# Two transcriptions of the same audio may place a word boundary this far apart.
BOUNDARY_TOLERANCE_S = 0.1
# Words this close to the last committed one are checked for being a repeat of it...
REPEAT_CHECK_WITHIN_S = 1.0
# ...over up to this many words (whisper_streaming's choice).
MAX_REPEATED_WORDS = 5
MIN_WORD_S = 0.02  # a sent word always has a start before its stop
_NOT_SPOKEN = re.compile(r"[^\w']+")


def spoken_form(text: str) -> str:
    """What two transcriptions must share to agree on a word: case and punctuation aside."""
    return _NOT_SPOKEN.sub("", text).lower()


class LocalAgreement:
    """One utterance's committed words and its latest uncommitted guess."""

    def __init__(self) -> None:
        self._guess: list[TimedWord] = []  # the previous transcription, past the committed words
        self._committed: list[TimedWord] = []  # committed words still inside the audio window
        self.committed_until_s = 0.0

    @property
    def committed_in_window(self) -> list[TimedWord]:
        return list(self._committed)

    def on_transcription(self, words: Sequence[TimedWord]) -> list[TimedWord]:
        """Words that this transcription and the previous one agree on, in order."""
        new = self._new_words(words)
        agreed = _common_prefix_length(new, self._guess)
        self._guess = new[agreed:]
        return self._commit(new[:agreed])

    def on_final(self, words: Sequence[TimedWord]) -> list[TimedWord]:
        """The utterance ended and `words` is its last transcription: all of it is final."""
        self._guess = []
        return self._commit(self._new_words(words))

    def forget_before(self, time_s: float) -> None:
        """The audio window now starts at `time_s`: words before it cannot come back."""
        self._committed = [word for word in self._committed if word.stop_s > time_s]

    def _new_words(self, words: Sequence[TimedWord]) -> list[TimedWord]:
        new = [
            word for word in words if word.start_s > self.committed_until_s - BOUNDARY_TOLERANCE_S
        ]
        if not new or not self._committed:
            return new
        if abs(new[0].start_s - self.committed_until_s) >= REPEAT_CHECK_WITHIN_S:
            return new
        # The longest run at the start of `new` that repeats the end of the committed words.
        for length in range(min(len(new), len(self._committed), MAX_REPEATED_WORDS), 0, -1):
            tail = [spoken_form(word.text) for word in self._committed[-length:]]
            if tail == [spoken_form(word.text) for word in new[:length]]:
                return new[length:]
        return new

    def _commit(self, words: Sequence[TimedWord]) -> list[TimedWord]:
        """The words, placed one after the other after the committed ones."""
        placed = []
        for word in words:
            if not spoken_form(word.text):
                continue  # punctuation on its own is not a word
            start = max(word.start_s, self.committed_until_s)
            stop = max(word.stop_s, start + MIN_WORD_S)
            placed.append(TimedWord(word.text, start, stop))
            self.committed_until_s = stop
        self._committed += placed
        return placed


def _common_prefix_length(first: Sequence[TimedWord], second: Sequence[TimedWord]) -> int:
    length = 0
    for one, other in zip(first, second, strict=False):
        if spoken_form(one.text) != spoken_form(other.text):
            break
        length += 1
    return length
