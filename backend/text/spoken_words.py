"""LLM text deltas, cut anywhere, into the words to speak, each with the whitespace the model
wrote before it.

The TTS is given whole words cleaned for speech (`WordRechunker`, `clean_for_speech`). The
conversation's history keeps what the bot spoke, but laid out as the model wrote it: each
spoken word after the model's own separator ("\\n\\n", a double space) rather than a single
space. For a reply with nothing unspoken in it (no markdown, no emoji) the history's text is
then the streamed text itself, and the LLM server's prompt cache still holds it on the next
turn; what was not spoken never enters the history.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from backend.text.cleanup import clean_for_speech
from backend.text.rechunk import WordRechunker

_WHITESPACE = re.compile(r"\s+")


@dataclass(frozen=True)
class SpokenWord:
    text: str  # what the TTS is given: never empty, no whitespace
    # The model's whitespace before the word ("" for a reply's first word): where text not
    # spoken lay in between (a lone "**", an emoji), the first whitespace around it.
    separator: str

    @property
    def laid_out(self) -> str:
        """The word as the history appends it."""
        return self.separator + self.text


class SpokenWords:
    def __init__(self) -> None:
        self._rechunker = WordRechunker()
        self._pending = ""  # streamed text after the last spoken word
        self._scanned = 0  # how much of it the rechunker's words have covered
        self._spoken_any = False

    def push(self, delta: str) -> list[SpokenWord]:
        """Add a delta; return the spoken words it completed, in order."""
        self._pending += delta
        return self._spoken(self._rechunker.push(delta))

    def flush(self) -> list[SpokenWord]:
        """The text ended (or pauses for a tool call): the last word, if it is spoken."""
        return self._spoken(self._rechunker.flush())

    def _spoken(self, words: list[str]) -> list[SpokenWord]:
        spoken: list[SpokenWord] = []
        for word in words:
            # Only whitespace lies between the words already covered and this one.
            start = self._pending.index(word, self._scanned)
            self._scanned = start + len(word)
            text = clean_for_speech(word)
            if not text:
                continue  # markup or an emoji on its own: it goes with no word
            gap = self._pending[:start]
            separator = ""
            if self._spoken_any:
                run = _WHITESPACE.search(gap)
                separator = run.group() if run else " "
            spoken.append(SpokenWord(text, separator))
            self._spoken_any = True
            self._pending = self._pending[self._scanned :]
            self._scanned = 0
        return spoken
