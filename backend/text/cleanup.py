"""Remove what a TTS would read out literally or stumble on: markdown and emoji.

Works on a single word (what the re-chunker emits) as well as on a whole text. Keeps
letters of any language, digits, apostrophes, hyphens inside words, and the
punctuation the TTS uses for prosody (. , ? ! : ;). A word may come out empty; the
caller drops it.
"""

from __future__ import annotations

import re

import emoji

# `![alt](url)` and `[text](url)` -> the visible text.
_LINK = re.compile(r"!?\[([^\]]*)\]\([^)]*\)")
# The end of a link whose text held spaces, so a word-by-word stream sees `here](url)`.
_LINK_TAIL = re.compile(r"\]\([^)\s]*\)?")
_LINK_BRACKETS = re.compile(r"!?\[|\]")

_HEADING_AT_LINE_START = re.compile(r"^[ \t]*#{1,6}(?=\s|$)", re.MULTILINE)
_BLOCKQUOTE_AT_LINE_START = re.compile(r"^[ \t]*>+[ \t]?", re.MULTILINE)
_BULLET_AT_LINE_START = re.compile(r"^[ \t]*[-+*•◦▪‣●][ \t]+", re.MULTILINE)

# Tokens that are markup on their own: `##`, a bullet, a rule (`---`, `***`, `===`).
_MARKUP_ONLY_TOKEN = re.compile(r"(?<!\S)(?:#+|[-•◦▪‣●>]|-{2,}|={2,})(?!\S)")

# `*`, backticks and `~~` are never spoken; `_` only marks emphasis at a word's edge
# (inside `snake_case` it belongs to the word).
_ALWAYS_MARKUP = re.compile(r"[*`]")
_EDGE_UNDERSCORES = re.compile(r"(?<!\w)_+|_+(?!\w)")
_STRIKETHROUGH = re.compile(r"~~")


def clean_for_speech(text: str) -> str:
    """`text` without markdown syntax or emoji, whitespace collapsed to single spaces."""
    # Each removal can join the characters around it, so the order matters: emoji go
    # first, and `~~` after the single characters that could sit between two tildes.
    text = emoji.replace_emoji(text, replace="")
    text = _LINK.sub(r"\1", text)
    text = _LINK_TAIL.sub("", text)
    text = _LINK_BRACKETS.sub("", text)
    text = _HEADING_AT_LINE_START.sub("", text)
    text = _BLOCKQUOTE_AT_LINE_START.sub("", text)
    text = _BULLET_AT_LINE_START.sub("", text)
    text = _ALWAYS_MARKUP.sub("", text)
    text = _EDGE_UNDERSCORES.sub("", text)
    text = _STRIKETHROUGH.sub("", text)
    text = _MARKUP_ONLY_TOKEN.sub("", text)
    return " ".join(text.split())
