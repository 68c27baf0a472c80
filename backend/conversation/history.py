"""Conversation history: what the user said, and the bot's replies as far as they were heard.

A reply holds the words spoken, each after the whitespace the LLM wrote before it (its line
breaks, not a single space); what was not spoken (markdown, emoji) is left out. A reply
with nothing unspoken in it is then the very text the LLM server last computed, and its
prompt cache is not lost from the reply on.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Literal

from backend.conversation import rules

Role = Literal["system", "user", "assistant"]


@dataclass
class Message:
    role: Role
    content: str

    def as_dict(self) -> dict[str, str]:
        return {"role": self.role, "content": self.content}


@dataclass
class History:
    """The system prompt first, then user and assistant turns as heard."""

    system_prompt: str = ""
    turns: list[Message] = field(default_factory=list)
    version: int = 0  # bumped on every change, so idle updates are sent only when needed

    def resume(self, turns: Iterable[Message]) -> None:
        """Start from the turns of an earlier connection of the same conversation."""
        self.turns = [Message(m.role, m.content) for m in turns]
        self.version += 1

    def set_system_prompt(self, prompt: str) -> None:
        self.system_prompt = prompt
        self.version += 1

    def add_user_word(self, word: str) -> None:
        last = self.turns[-1] if self.turns else None
        if last is not None and last.role == "user" and last.content != rules.SILENCE_MARKER:
            last.content = f"{last.content} {word}" if last.content else word
        else:
            self.turns.append(Message("user", word))
        self.version += 1

    def add_silence(self) -> None:
        self.turns.append(Message("user", rules.SILENCE_MARKER))
        self.version += 1

    def start_assistant(self) -> None:
        self.turns.append(Message("assistant", ""))
        self.version += 1

    def add_assistant_text(self, laid_out: str) -> None:
        """The listener heard one more word: `laid_out` is the word with the separator the
        LLM wrote before it."""
        self._assistant().content += laid_out
        self.version += 1

    def finish_assistant(self, laid_out_text: str) -> None:
        """The whole reply was played: all its words are what the user heard."""
        self._assistant().content = laid_out_text
        self.version += 1

    def interrupt_assistant(self) -> None:
        """Cut the reply after the last word heard and mark it; drop it if nothing was
        heard."""
        last = self._assistant()
        if last.content:
            last.content = f"{last.content}{rules.INTERRUPTION_MARK}"
        else:
            self.turns.pop()
        self.version += 1

    def last_assistant_text(self) -> str:
        for message in reversed(self.turns):
            if message.role == "assistant":
                return message.content
        return ""

    def messages(self) -> list[dict[str, str]]:
        """Everything, system prompt included (as sent in `response.created`)."""
        return [{"role": "system", "content": self.system_prompt}] + [
            m.as_dict() for m in self.turns
        ]

    def without_system(self) -> list[dict[str, str]]:
        return [m.as_dict() for m in self.turns]

    def for_llm(self, budget_chars: int) -> list[dict[str, str]]:
        """Messages strict chat templates accept: system, then alternating, user first.

        The turns' contents add up to at most `budget_chars`: the newest turns are kept,
        the oldest dropped (`rules.DEFAULT_LLM_HISTORY_CHARS` says why); the system prompt
        is always sent, on top of the budget.
        """
        merged: list[dict[str, str]] = []
        for message in self.turns:
            if not message.content:
                continue
            if merged and merged[-1]["role"] == message.role:
                merged[-1]["content"] += " " + message.content
            else:
                merged.append(message.as_dict())
        kept = _newest_within(merged, budget_chars)
        if kept and kept[0]["role"] == "user":
            return [{"role": "system", "content": self.system_prompt}, *kept]
        greeting = rules.GREETING_USER_TURN
        whole = len(kept) == len(merged)
        used = sum(len(m["content"]) for m in kept)
        if len(kept) > 1 and (not whole or used + len(greeting) > budget_chars):
            # An older reply whose question was dropped: chat templates want the user first.
            kept = kept[1:]
        else:
            # The bot spoke first (its greeting), or nothing was said yet: it is asked with
            # the user turn the greeting was asked with, so the prompt starts as the
            # greeting's did and the LLM server's prompt cache still holds it.
            room = budget_chars - len(greeting)
            kept = [
                {"role": "user", "content": greeting},
                *({**m, "content": _tail(m["content"], room)} for m in kept),
            ]
        return [{"role": "system", "content": self.system_prompt}, *kept]

    def _assistant(self) -> Message:
        if not self.turns or self.turns[-1].role != "assistant":
            raise RuntimeError("no assistant reply in progress")
        return self.turns[-1]


def _newest_within(messages: list[dict[str, str]], budget_chars: int) -> list[dict[str, str]]:
    """The newest messages whose contents fit in `budget_chars`. The newest one is always
    kept, cut to its end if it alone is too long (a very long monologue): it is what the
    reply answers."""
    kept: list[dict[str, str]] = []
    used = 0
    for message in reversed(messages):
        size = len(message["content"])
        if used + size > budget_chars:
            if not kept:
                kept.append({**message, "content": _tail(message["content"], budget_chars)})
            break
        kept.append(message)
        used += size
    kept.reverse()
    return kept


def _tail(text: str, budget_chars: int) -> str:
    """The end of `text` in at most `budget_chars`, from a word's start where possible."""
    if len(text) <= budget_chars:
        return text
    end = text[len(text) - budget_chars :] if budget_chars > 0 else ""
    space = end.find(" ")
    return end[space + 1 :] if 0 <= space < len(end) - 1 else end
