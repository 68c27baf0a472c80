"""Turn LLM text deltas, cut anywhere, into whole words for the TTS.

The TTS protocol takes one word per `Text` message. A word is complete once the
whitespace after it has arrived; whatever is left when the stream ends is flushed.
"""

from __future__ import annotations


class WordRechunker:
    """Buffers a partial word between deltas; emits bare words (no whitespace)."""

    def __init__(self) -> None:
        self._partial = ""

    def push(self, delta: str) -> list[str]:
        """Add a delta; return the words it completed, in order."""
        text = self._partial + delta
        cut = _index_after_last_whitespace(text)
        self._partial = text[cut:]
        return text[:cut].split()

    def flush(self) -> list[str]:
        """The stream ended: return the last word, if any, and start afresh."""
        words = self._partial.split()
        self._partial = ""
        return words


def _index_after_last_whitespace(text: str) -> int:
    """0 when `text` holds no whitespace (no word can be complete yet)."""
    for index in range(len(text) - 1, -1, -1):
        # `str.isspace` agrees with the separators `str.split()` uses.
        if text[index].isspace():
            return index + 1
    return 0
