"""The conversation as the responder reads it: system prompt, turns, reply language, variety."""

from __future__ import annotations

import hashlib
import json
import random
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Literal, TypeVar

from embedded.llm.language import Lang, looks_french, prompt_language

Role = Literal["system", "user", "assistant"]
T = TypeVar("T")

# What the backend puts in the history (see backend/conversation/rules.py): a user turn
# of "..." is a silence; "—" ends a bot reply the user cut off.
SILENCE_MARKER = "..."
INTERRUPTION_MARK = "—"


@dataclass(frozen=True)
class ChatMessage:
    role: Role
    content: str


class Variety:
    """Picks among phrasings: the first at temperature 0, else seeded by the history."""

    def __init__(self, seed_material: str, temperature: float) -> None:
        digest = hashlib.sha256(seed_material.encode()).digest()
        self._random = random.Random(int.from_bytes(digest[:8], "big"))
        self._deterministic = temperature <= 0.0

    def pick(self, options: Sequence[T]) -> T:
        if not options:
            raise ValueError("nothing to pick from")
        return options[0] if self._deterministic else self._random.choice(options)


def is_silence(text: str) -> bool:
    """A user turn made only of silence markers ("...", or "... ..." after merging)."""
    stripped = text.strip()
    return bool(stripped) and not stripped.replace(".", "").replace("…", "").strip()


def strip_silence_prefix(text: str) -> str:
    """The user spoke again right after a silence marker: keep only what they said."""
    stripped = text.strip()
    while stripped.startswith((SILENCE_MARKER, "…")) and not is_silence(stripped):
        stripped = stripped.lstrip(".…").strip()
    return stripped


@dataclass(frozen=True)
class Dialogue:
    system_prompt: str
    turns: tuple[ChatMessage, ...]
    language: Lang
    variety: Variety = field(compare=False)

    @classmethod
    def from_messages(
        cls, messages: Sequence[ChatMessage], *, temperature: float = 1.0, seed: int | None = None
    ) -> Dialogue:
        system_prompt = "\n".join(m.content for m in messages if m.role == "system")
        turns = tuple(_clean(m) for m in messages if m.role != "system")
        seed_material = json.dumps(
            [[m.role, m.content] for m in messages] + [seed], ensure_ascii=False
        )
        return cls(
            system_prompt=system_prompt,
            turns=turns,
            language=_reply_language(system_prompt, turns),
            variety=Variety(seed_material, temperature),
        )

    @property
    def bot_has_spoken(self) -> bool:
        return any(t.role == "assistant" and t.content for t in self.turns)

    @property
    def last_user_text(self) -> str:
        for turn in reversed(self.turns):
            if turn.role == "user":
                return turn.content
        return ""

    def user_texts_after_first_bot_turn(self) -> list[str]:
        """What the user said since the bot's opening: the moves of a game."""
        return _user_texts_after_opening(self.turns)

    def user_texts(self) -> list[str]:
        return [t.content for t in self.turns if t.role == "user"]

    def trailing_silences(self) -> int:
        """How many user turns in a row, up to the last, were silences."""
        count = 0
        for text in reversed(self.user_texts()):
            if not is_silence(text):
                break
            count += 1
        return count


def _clean(message: ChatMessage) -> ChatMessage:
    if message.role == "assistant":
        return ChatMessage("assistant", message.content.replace(INTERRUPTION_MARK, " ").strip())
    return ChatMessage("user", strip_silence_prefix(message.content))


def _user_texts_after_opening(turns: Sequence[ChatMessage]) -> list[str]:
    started = False
    said: list[str] = []
    for turn in turns:
        if turn.role == "assistant" and turn.content:
            started = True
        elif turn.role == "user" and started:
            said.append(turn.content)
    return said


def _reply_language(system_prompt: str, turns: Sequence[ChatMessage]) -> Lang:
    """The language the user last clearly spoke, else the one the prompt asks for.

    Only turns after the bot's opening count: before it, the backend may put a stock
    greeting of its own ("Hello!") that says nothing about the user's language.
    """
    for text in reversed(_user_texts_after_opening(turns)):
        french = looks_french(text)
        if french is not None:
            return "fr" if french else "en"
    return prompt_language(system_prompt)
