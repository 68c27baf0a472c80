"""What a reasoning model says that must not be spoken, and what to say when it only
reasoned: inline `<think>…</think>` blocks are split off the content as it streams, and a
reply that was all reasoning is answered with its last sentence or two."""

from __future__ import annotations

import re

# The fallback answer is a sentence or two, not a monologue.
FALLBACK_MAX_CHARS = 300

_THINK_OPEN = "<think>"
_THINK_CLOSE = "</think>"


class ThinkTagFilter:
    """Splits streamed content into spoken text and inline `<think>…</think>` reasoning.

    Tags may be cut anywhere between chunks, so a suffix that could be the start of a
    tag is held back until the next chunk decides.
    """

    def __init__(self) -> None:
        self._pending = ""
        self._thinking = False

    def feed(self, text: str) -> tuple[str, str]:
        """Returns `(spoken, reasoning)` released by this chunk."""
        self._pending += text
        if "<" not in self._pending:
            # No tag, nor the start of one (the common case, once per token): all goes.
            released, self._pending = self._pending, ""
            return ("", released) if self._thinking else (released, "")
        spoken: list[str] = []
        reasoning: list[str] = []
        while True:
            if self._thinking:
                end = self._pending.find(_THINK_CLOSE)
                if end < 0:
                    keep = _partial_tag_length(self._pending, (_THINK_CLOSE,))
                    reasoning.append(self._pending[: len(self._pending) - keep])
                    self._pending = self._pending[len(self._pending) - keep :]
                    break
                reasoning.append(self._pending[:end])
                self._pending = self._pending[end + len(_THINK_CLOSE) :]
                self._thinking = False
            else:
                start, tag = _find_first_tag(self._pending)
                if start < 0:
                    keep = _partial_tag_length(self._pending, (_THINK_OPEN, _THINK_CLOSE))
                    spoken.append(self._pending[: len(self._pending) - keep])
                    self._pending = self._pending[len(self._pending) - keep :]
                    break
                spoken.append(self._pending[:start])
                self._pending = self._pending[start + len(tag) :]
                # A stray `</think>` (the template opened the block) is simply dropped.
                self._thinking = tag == _THINK_OPEN
        return "".join(spoken), "".join(reasoning)

    def finish(self) -> tuple[str, str]:
        """The stream ended: a held-back partial tag was ordinary text after all."""
        rest, self._pending = self._pending, ""
        return ("", rest) if self._thinking else (rest, "")


def _find_first_tag(text: str) -> tuple[int, str]:
    found = [(text.find(tag), tag) for tag in (_THINK_OPEN, _THINK_CLOSE)]
    present = [(index, tag) for index, tag in found if index >= 0]
    return min(present) if present else (-1, "")


def _partial_tag_length(text: str, tags: tuple[str, ...]) -> int:
    """Length of the longest suffix of `text` that is a proper prefix of one of `tags`.
    Tags hold one `<`, their first character: only the suffix from the last `<` can be."""
    suffix = text[text.rfind("<") :] if "<" in text else ""
    if suffix and any(tag != suffix and tag.startswith(suffix) for tag in tags):
        return len(suffix)
    return 0


_SENTENCE_BREAK = re.compile(r"(?<=[.!?…])\s+")


def spoken_fallback_from_reasoning(reasoning: str) -> str:
    """The last sentence or two of `reasoning`, short enough to say out loud."""
    sentences = [s for s in _SENTENCE_BREAK.split(" ".join(reasoning.split())) if s]
    if not sentences:
        return ""
    tail = " ".join(sentences[-2:])
    if len(tail) > FALLBACK_MAX_CHARS:
        tail = sentences[-1]
    if len(tail) > FALLBACK_MAX_CHARS:
        # Cut at a word boundary so the TTS never gets half a word.
        tail = tail[-FALLBACK_MAX_CHARS:].split(" ", 1)[-1]
    return tail
