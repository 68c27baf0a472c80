"""Which language to speak: what the prompt asks for, and what the user speaks.

Only English and French exist here, like the text-to-speech engines behind Unmute.
"""

from __future__ import annotations

import re
from typing import Literal

from embedded.llm.text import fold, word_list, words

Lang = Literal["en", "fr"]
Localized = dict[Lang, str]  # one text per language

# Short, frequent words that tell French from English in a transcript.
_FRENCH_MARKERS = frozenset(
    word_list(
        "bonjour salut coucou bonsoir merci oui ouais non je j tu vous est c ce ca que qu qui "
        "quoi comment pourquoi le les des du au aux et pas mais avec suis es sont mon ma mes "
        "ton ta tes moi toi tres bien revoir bientot aussi peux veux fait faire d l m n "
        "quel quelle elle il nous on sais"
    )
)
_ENGLISH_MARKERS = frozenset(
    word_list(
        "the is are you i what how it to and do does my your of in that this can hello hi "
        "hey yes yeah no not s don t have has was we me know think thanks thank bye "
        "goodbye please why who where when"
    )
)

# "Speak French.", "Parle uniquement en français", "Language: en".
_LANGUAGE_DIRECTIVES = (
    re.compile(
        r"\b(?:speak|respond|reply|answer|talk|write|converse)\w*\s+(?:only\s+)?(?:in\s+)?"
        r"(english|french)\b"
    ),
    re.compile(
        r"\b(?:parle|parlez|reponds|repondez|ecris|ecrivez|exprime)\w*\s+(?:uniquement\s+)?"
        r"(?:en\s+)?(francais|anglais)\b"
    ),
    re.compile(r"\blanguage\s+(?:is\s+)?(fr|french|en|english)\b"),
)


def prompt_language(system_prompt: str) -> Lang:
    """The first language directive in the prompt; the prompt's own language otherwise."""
    folded = fold(system_prompt)
    found: list[tuple[int, str]] = []
    for directive in _LANGUAGE_DIRECTIVES:
        match = directive.search(folded)
        if match:
            found.append((match.start(), match.group(1)))
    if found:
        _, language = min(found)
        return "fr" if language in ("fr", "french", "francais") else "en"
    return "fr" if looks_french(system_prompt) else "en"


def looks_french(text: str) -> bool | None:
    """True for French, False for English, None when the text says too little to tell."""
    tokens = words(text)
    french = sum(token in _FRENCH_MARKERS for token in tokens)
    english = sum(token in _ENGLISH_MARKERS for token in tokens)
    if french == english:
        return None
    return french > english
