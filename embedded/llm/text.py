"""Matching what a speech recogniser wrote: folding, phrase search, numbers.

Everything the responder compares goes through `fold`, so keyword lists can be written
naturally ("what's your name", "ça va") and still match "Whats your name" or "ca va".
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from functools import lru_cache

# Apostrophes and hyphens split words ("c'est" → "c est", "vas-tu" → "vas tu"), which
# keeps French elisions matchable word by word.
_NOT_WORD = re.compile(r"[^a-z0-9]+")


def word_list(text: str) -> tuple[str, ...]:
    """A long word list written as one string: "cat dog bird" → ("cat", "dog", "bird")."""
    return tuple(text.split())


_UNITS = {
    "zero": 0, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6,
    "seven": 7, "eight": 8, "nine": 9, "ten": 10, "eleven": 11, "twelve": 12,
    "thirteen": 13, "fourteen": 14, "fifteen": 15, "sixteen": 16, "seventeen": 17,
    "eighteen": 18, "nineteen": 19,
    "un": 1, "une": 1, "deux": 2, "trois": 3, "quatre": 4, "cinq": 5, "sept": 7,
    "huit": 8, "neuf": 9, "dix": 10, "onze": 11, "douze": 12, "treize": 13,
    "quatorze": 14, "quinze": 15, "seize": 16,
}  # fmt: skip
_TENS = {
    "twenty": 20, "thirty": 30, "forty": 40, "fifty": 50, "sixty": 60, "seventy": 70,
    "eighty": 80, "ninety": 90,
    "vingt": 20, "trente": 30, "quarante": 40, "cinquante": 50, "soixante": 60,
}  # fmt: skip


def fold(text: str) -> str:
    """Lowercase, accents removed, punctuation turned into single spaces."""
    decomposed = unicodedata.normalize("NFKD", text.lower())
    ascii_only = "".join(c for c in decomposed if not unicodedata.combining(c))
    return _NOT_WORD.sub(" ", ascii_only).strip()


def words(text: str) -> list[str]:
    return fold(text).split()


def has_phrase(folded_text: str, phrase: str) -> bool:
    """Whether `phrase` occurs in `folded_text` as whole words."""
    folded_phrase = _folded_phrase(phrase)
    return bool(folded_phrase) and f" {folded_phrase} " in f" {folded_text} "


def has_any(folded_text: str, phrases: Iterable[str]) -> bool:
    return any(has_phrase(folded_text, phrase) for phrase in phrases)


@lru_cache(maxsize=8192)
def _folded_phrase(phrase: str) -> str:
    # Keyword lists are fixed: fold each phrase once, not on every turn of every request.
    return fold(phrase)


def with_digits(folded_text: str) -> str:
    """Number words replaced by digits: "twenty one legs" → "21 legs", "huit" → "8"."""
    out: list[str] = []
    pending: int | None = None
    for word in folded_text.split():
        if word in _TENS:
            if pending is not None:
                out.append(str(pending))
            pending = _TENS[word]
        elif word in _UNITS and word not in ("un", "une", "one"):
            value = _UNITS[word]
            if pending is not None and pending % 10 == 0 and value < 10:
                pending += value
            else:
                if pending is not None:
                    out.append(str(pending))
                pending = value
        elif word in ("un", "une", "one"):
            # Also an article ("un lion", "one of them"): only a number after a ten.
            if pending is not None and pending % 10 == 0:
                pending += 1
            else:
                if pending is not None:
                    out.append(str(pending))
                    pending = None
                out.append(word)
        elif word in ("and", "et") and pending is not None:
            continue
        else:
            if pending is not None:
                out.append(str(pending))
                pending = None
            out.append(word)
    if pending is not None:
        out.append(str(pending))
    return " ".join(out)


def capitalize_first(text: str) -> str:
    return text[:1].upper() + text[1:]
