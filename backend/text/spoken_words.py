"""LLM text deltas, cut anywhere, into the words to speak, each with what the model wrote
for it.

The TTS is given whole words cleaned for speech (`WordRechunker`, `clean_for_speech`);
the conversation's history is given the model's own text. Each spoken word carries the
text the model wrote since the previous spoken word: separators ("\\n\\n", double spaces)
and what is not spoken (a lone "**", an emoji) go with the word after them. Joined, the
written forms and `unspoken` give back the streamed text byte for byte, so the history
can hold the reply exactly as written, and the LLM server's prompt cache still holds it
on the next turn.
"""

from __future__ import annotations

from dataclasses import dataclass

from backend.text.cleanup import clean_for_speech
from backend.text.rechunk import WordRechunker


@dataclass(frozen=True)
class SpokenWord:
    text: str  # what the TTS is given: never empty, no whitespace
    written: str  # what the model wrote since the previous spoken word, up to this one's end


class SpokenWords:
    def __init__(self) -> None:
        self._rechunker = WordRechunker()
        self._unspoken = ""  # written, and in no spoken word yet
        self._scanned = 0  # how much of it the rechunker's words have covered

    @property
    def unspoken(self) -> str:
        """What the model wrote after its last spoken word (after `flush`: all of it)."""
        return self._unspoken

    def push(self, delta: str) -> list[SpokenWord]:
        """Add a delta; return the spoken words it completed, in order."""
        self._unspoken += delta
        return self._spoken(self._rechunker.push(delta))

    def flush(self) -> list[SpokenWord]:
        """The text ended (or pauses for a tool call): the last word, if it is spoken."""
        return self._spoken(self._rechunker.flush())

    def _spoken(self, words: list[str]) -> list[SpokenWord]:
        spoken: list[SpokenWord] = []
        for word in words:
            # Only whitespace lies between the words already covered and this one.
            end = self._unspoken.index(word, self._scanned) + len(word)
            self._scanned = end
            text = clean_for_speech(word)
            if text:
                spoken.append(SpokenWord(text, self._unspoken[:end]))
                self._unspoken = self._unspoken[end:]
                self._scanned = 0
        return spoken
