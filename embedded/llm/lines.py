"""A reply as a list of lines to say, rendered in the reply language at the very end.

Games replay the whole history to find their state, producing a reply for every past
turn; describing replies as `Say` values keeps that cheap and leaves the wording (and
the random choice of phrasing) to the one reply that is actually sent.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from embedded.llm.dialogue import Dialogue
from embedded.llm.games.phrases import GAME_PHRASES
from embedded.llm.language import Lang
from embedded.llm.phrases import CHAT_PHRASES
from embedded.llm.text import capitalize_first

PHRASES = {**CHAT_PHRASES, **GAME_PHRASES}

# Text that is the same in every language, or one text per language.
Text = str | Mapping[Lang, str]


@dataclass(frozen=True)
class Say:
    """One phrase of the bank (`key`), its `{placeholders}` filled from `fields`."""

    key: str
    fields: Mapping[str, Text] = field(default_factory=dict)


def verbatim(text: Text) -> Say:
    return Say("verbatim", {"text": text})


def _localized(text: Text, language: Lang) -> str:
    return text if isinstance(text, str) else text[language]


def render(lines: Sequence[Say], dialogue: Dialogue) -> str:
    """The spoken reply: each line's phrasing picked by the dialogue's variety."""
    language = dialogue.language
    sentences: list[str] = []
    for line in lines:
        template = dialogue.variety.pick(PHRASES[line.key][language])
        values = {name: _localized(value, language) for name, value in line.fields.items()}
        sentences.append(capitalize_first(template.format(**values).strip()))
    return " ".join(s for s in sentences if s)


def ends_with_question(lines: Sequence[Say]) -> bool:
    """Whether the reply already hands the turn back with a question."""
    if not lines:
        return False
    last = lines[-1]
    if last.key == "verbatim":
        text = last.fields["text"]
        texts = [text] if isinstance(text, str) else list(text.values())
    else:
        texts = [t for phrasings in PHRASES[last.key].values() for t in phrasings]
    return all(t.rstrip().endswith("?") for t in texts)
