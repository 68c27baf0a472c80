"""Reading the system prompt: which character to play, in which language, under what name.

The backend's prompts share long boilerplate (how speech works, what Unmute is made of),
so a character is recognised by an anchor phrase that only its own instructions contain,
and scored by supporting phrases when several anchors appear.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum

from embedded.llm.text import fold


class Character(StrEnum):
    """The backend's instruction types (`session.update` → `instructions.type`)."""

    CONSTANT = "constant"
    SMALLTALK = "smalltalk"
    GUESS_ANIMAL = "guess_animal"
    QUIZ_SHOW = "quiz_show"
    NEWS = "news"
    UNMUTE_EXPLANATION = "unmute_explanation"


@dataclass(frozen=True)
class _Signals:
    anchor: re.Pattern[str]
    support: tuple[re.Pattern[str], ...]
    min_support: int = 0


def _any(*alternatives: str) -> re.Pattern[str]:
    return re.compile("|".join(rf"\b(?:{a})\b" for a in alternatives))


_NEAR = r"(?:\W+\w+){0,8}?\W+"  # up to eight words in between

# Checked in this order; on equal scores the earlier one wins.
_SIGNALS: dict[Character, _Signals] = {
    Character.GUESS_ANIMAL: _Signals(
        anchor=_any(r"animals?", r"animaux"),
        support=(
            _any(r"guess\w*", r"devine\w*", r"devinette"),
            _any(r"yes (?:or|and) no", r"yes no", r"oui ou non", r"twenty questions"),
            _any(r"thinking of an animal", r"think of an animal", r"pense a un animal"),
            re.compile(rf"\b(?:guess\w*|devine\w*){_NEAR}animal"),
        ),
        # "You are a zookeeper who loves animals" is a personality, not the game.
        min_support=1,
    ),
    Character.QUIZ_SHOW: _Signals(
        anchor=_any(r"quiz\w*", r"trivia", r"game show", r"jeu televise", r"contestants?"),
        support=(
            _any(r"hosts?", r"presentateur", r"animateur"),
            _any(r"questions?"),
            _any(r"prizes?", r"score", r"points?", r"lots?", r"gagne\w*"),
            _any(r"correct\w*", r"right answers?", r"bonnes? reponses?"),
        ),
    ),
    Character.NEWS: _Signals(
        anchor=_any(r"news", r"headlines?", r"current events", r"actualites?", r"nouvelles"),
        support=(
            _any(r"journalists?", r"journal", r"articles?", r"press", r"presse"),
            _any(r"today", r"latest", r"aujourd hui", r"recent\w*"),
        ),
    ),
    Character.UNMUTE_EXPLANATION: _Signals(
        anchor=re.compile(
            rf"\b(?:explain\w*|expliqu\w*|present\w*|describe\w*){_NEAR}unmute\b"
            rf"|\bunmute{_NEAR}(?:explain\w*|expliqu\w*)"
            r"|\b(?:what|how) unmute (?:is|does|works)\b"
            r"|\bquestions? about unmute\b"
        ),
        support=(
            _any(r"self hosted", r"auto heberge\w*", r"open source"),
            _any(r"latency", r"latence", r"streaming", r"interrupt\w*"),
        ),
    ),
    Character.SMALLTALK: _Signals(
        anchor=_any(r"small ?talk", r"chit ?chat", r"papot\w*", r"bavard\w*", r"causette"),
        support=(_any(r"casual", r"conversation starters?", r"everyday"),),
    ),
}

# An anchor counts for more than any single supporting phrase.
_ANCHOR_WEIGHT = 3


def detect_character(system_prompt: str) -> Character:
    """The character a system prompt describes; a free-text personality by default."""
    folded = fold(system_prompt)
    best: Character | None = None
    best_score = 0
    for character, signals in _SIGNALS.items():
        if not signals.anchor.search(folded):
            continue
        support = sum(bool(p.search(folded)) for p in signals.support)
        score = _ANCHOR_WEIGHT + support
        if support >= signals.min_support and score > best_score:
            best, best_score = character, score
    if best is not None:
        return best
    return Character.CONSTANT if persona_of(system_prompt).description else Character.SMALLTALK


# --- Persona (a free-text personality) ---------------------------------------------------

_NAME_PATTERNS = (
    re.compile(r"\b[Yy]our name is ([A-Z][\w'-]+)"),
    re.compile(r"\b[Yy]ou(?:'re| are) (?:called|named) ([A-Z][\w'-]+)"),
    re.compile(r"\b[Cc]all yourself ([A-Z][\w'-]+)"),
    re.compile(r"\b[Yy]ou(?:'re| are) ((?:[A-Z][\w'-]+ ){0,2}[A-Z][\w'-]+)[,.]"),
    re.compile(r"\b[Tt]u t'appelles ([A-Z][\w'-]+)"),
    re.compile(r"\b[Tt]on (?:nom|prénom) est ([A-Z][\w'-]+)"),
)
_DESCRIPTION_PATTERNS = (
    re.compile(r"\b[Yy]ou(?:'re| are) [A-Z][\w' -]*, ((?:an?|the) [^.,;:!?\n()]{2,60})"),
    re.compile(r"\b[Yy]ou(?:'re| are) ((?:an?|the) [^.,;:!?\n()]{2,60})"),
    re.compile(r"\b[Tt]u es ((?:un|une|le|la) [^.,;:!?\n()]{2,60})"),
)
# Descriptions every prompt shares, or that say nothing about a personality.
_GENERIC_DESCRIPTION = re.compile(
    r"\b(?:ai|assistant|system|model|llm|chatbot|bot|conversation|speech|voice|"
    r"language|helpful|modular|quiz|host|game)\b"
)
_POSSESSIVES = {"your": "my", "yours": "mine", "yourself": "myself"}
_FRENCH_POSSESSIVES = {"ton": "mon", "ta": "ma", "tes": "mes", "toi": "moi"}


@dataclass(frozen=True)
class Persona:
    """Who a free-text prompt says the bot is: "Captain Jack", "a grumpy pirate"."""

    name: str | None = None
    description: str | None = None  # in the first person: "a pirate who loves my ship"


def persona_of(system_prompt: str) -> Persona:
    name = next(
        (m.group(1) for p in _NAME_PATTERNS if (m := p.search(system_prompt))),
        None,
    )
    return Persona(name=name, description=_description(system_prompt))


def _description(system_prompt: str) -> str | None:
    for pattern in _DESCRIPTION_PATTERNS:
        for match in pattern.finditer(system_prompt):
            candidate = match.group(1).strip()
            if _GENERIC_DESCRIPTION.search(fold(candidate)):
                continue
            swapped = _first_person(candidate)
            if swapped is not None:
                return swapped
    return None


def _first_person(description: str) -> str | None:
    """In the first person: "who loves your ship" → "who loves my ship"; None if unclear."""
    out: list[str] = []
    for word in description.split():
        key = word.lower()
        if key in _POSSESSIVES:
            out.append(_POSSESSIVES[key])
        elif key in _FRENCH_POSSESSIVES:
            out.append(_FRENCH_POSSESSIVES[key])
        elif key in ("you", "tu", "te", "t'", "vous"):
            return None  # "someone who helps you" does not turn around cleanly
        else:
            out.append(word)
    return " ".join(out)
