"""The rule-based conversational partner: a chat history in, the next reply out.

Deterministic for a given history: at temperature 0 every choice of phrasing takes the
first option; otherwise choices are seeded by the history (and the request's `seed`).
"""

from __future__ import annotations

from collections.abc import Sequence

from embedded.llm import chat
from embedded.llm.dialogue import ChatMessage, Dialogue
from embedded.llm.games import guess_animal, quiz
from embedded.llm.intents import Intent, classify
from embedded.llm.lines import Say, render
from embedded.llm.persona import Character, Persona, detect_character, persona_of

# First user turns that call for the bot's opening rather than an answer.
_OPENING_CUES = frozenset({Intent.SILENCE, Intent.GREETING, Intent.HEAR_ME})


def respond(
    messages: Sequence[ChatMessage], *, temperature: float = 1.0, seed: int | None = None
) -> str:
    """The assistant's next turn after `messages` (system prompt first, if any)."""
    dialogue = Dialogue.from_messages(messages, temperature=temperature, seed=seed)
    character = detect_character(dialogue.system_prompt)
    persona = persona_of(dialogue.system_prompt)
    return render(_reply_lines(dialogue, character, persona), dialogue)


def _reply_lines(dialogue: Dialogue, character: Character, persona: Persona) -> list[Say]:
    intent = classify(dialogue.last_user_text)
    if intent is Intent.GOODBYE:
        return chat.goodbye()
    is_game = character in (Character.GUESS_ANIMAL, Character.QUIZ_SHOW)
    if not dialogue.bot_has_spoken and (is_game or intent in _OPENING_CUES):
        return _opening(dialogue, character, persona)
    if character is Character.GUESS_ANIMAL:
        return guess_animal.reply(dialogue, persona)
    if character is Character.QUIZ_SHOW:
        return quiz.reply(dialogue, persona)
    return chat.reply(dialogue, character, persona)


def _opening(dialogue: Dialogue, character: Character, persona: Persona) -> list[Say]:
    if character is Character.GUESS_ANIMAL:
        return guess_animal.opening()
    if character is Character.QUIZ_SHOW:
        return quiz.opening(dialogue)
    return chat.opening(dialogue, character, persona)
