"""The quiz show: the bot asks trivia questions in turn, checks answers, keeps the score.

Like guess-the-animal, the game is replayed from the user's turns since the opening;
which questions a round asks follows from the system prompt.
"""

from __future__ import annotations

import hashlib
import random
import re
from dataclasses import dataclass, replace
from functools import lru_cache

from embedded.llm import chat
from embedded.llm.dialogue import Dialogue
from embedded.llm.games.common import CHAT_ASIDES, GIVE_UP, HINT, PASS, PLAY_AGAIN, REPEAT, Phase
from embedded.llm.games.quiz_questions import (
    QUESTIONS,
    Question,
    questions_in_prompt,
    themes_in,
)
from embedded.llm.intents import Intent, classify
from embedded.llm.language import Localized
from embedded.llm.lines import Say, verbatim
from embedded.llm.persona import Persona
from embedded.llm.text import fold, has_any

QUESTIONS_PER_ROUND = 5  # a round from the bank lasts a couple of minutes of talk

_LEADING_ARTICLE = re.compile(r"^(?:(?:the|le|la|les|du)\s+|l')", re.IGNORECASE)


@dataclass(frozen=True)
class QuizGame:
    round: int = 0
    phase: Phase = Phase.PLAYING
    index: int = 0  # the question of this round being asked
    score: int = 0


@lru_cache(maxsize=256)  # asked on every replayed turn of every request
def round_questions(system_prompt: str, round_number: int) -> tuple[Question, ...]:
    """The prompt's own questions, else slices of the bank: its theme first, then the rest."""
    listed = questions_in_prompt(system_prompt)
    if listed:
        if round_number == 0:
            return tuple(listed)
        round_number -= 1
    digest = hashlib.sha256(system_prompt.encode()).digest()
    shuffler = random.Random(int.from_bytes(digest[:8], "big"))
    themes = themes_in(system_prompt)
    on_theme = [q for q in QUESTIONS if q.theme in themes]
    others = [q for q in QUESTIONS if q.theme not in themes]
    shuffler.shuffle(on_theme)
    shuffler.shuffle(others)
    order = on_theme + others  # the prompt's theme first, then anything
    start = round_number * QUESTIONS_PER_ROUND
    return tuple(order[(start + i) % len(order)] for i in range(QUESTIONS_PER_ROUND))


def opening(dialogue: Dialogue) -> list[Say]:
    questions = round_questions(dialogue.system_prompt, 0)
    return [Say("open_quiz", {"total": str(len(questions))}), verbatim(questions[0].text)]


def reply(dialogue: Dialogue, persona: Persona) -> list[Say]:
    """Replays the quiz over the user's turns; the reply to the last one is the answer."""
    game = QuizGame()
    lines = opening(dialogue)
    for text in dialogue.user_texts_after_first_bot_turn():
        game, lines = _step(game, text, dialogue, persona)
    return lines


def _step(
    game: QuizGame, text: str, dialogue: Dialogue, persona: Persona
) -> tuple[QuizGame, list[Say]]:
    intent = classify(text)
    folded = fold(text)
    if game.phase is Phase.REPLAY_OFFERED:
        if intent is Intent.YES or has_any(folded, PLAY_AGAIN):
            return _new_round(game, dialogue)
        if intent is Intent.NO:
            return replace(game, phase=Phase.IDLE), [Say("game_over_ok")]
        game = replace(game, phase=Phase.IDLE)
    if game.phase is Phase.IDLE:
        if has_any(folded, (*PLAY_AGAIN, "quiz")):
            return _new_round(game, dialogue)
        return game, chat.reply_to_intent(intent, text, dialogue, persona)
    return _play(game, text, intent, dialogue, persona)


def _play(
    game: QuizGame, text: str, intent: Intent, dialogue: Dialogue, persona: Persona
) -> tuple[QuizGame, list[Say]]:
    question = round_questions(dialogue.system_prompt, game.round)[game.index]
    folded = fold(text)
    if intent is Intent.SILENCE:
        if dialogue.trailing_silences() > 1:
            return game, chat.silence(dialogue)
        return game, [Say("quiz_silence", {"question": question.text})]
    if question.is_answered_by(text):
        return _advance(replace(game, score=game.score + 1), dialogue, [Say("quiz_correct")])
    if has_any(folded, REPEAT):
        return game, [Say("quiz_repeat", {"question": question.text})]
    if has_any(folded, HINT):
        return game, [Say("quiz_hint", {"letter": _first_letter(question.answer)})]
    if has_any(folded, (*PASS, *GIVE_UP)):
        return _advance(game, dialogue, [Say("quiz_pass", {"answer": question.answer})])
    if intent in CHAT_ASIDES:
        aside = chat.reply_to_intent(intent, text, dialogue, persona)
        return game, [*aside, Say("quiz_back", {"question": question.text})]
    return _advance(game, dialogue, [Say("quiz_wrong", {"answer": question.answer})])


def _advance(game: QuizGame, dialogue: Dialogue, verdict: list[Say]) -> tuple[QuizGame, list[Say]]:
    """After an answer: the next question, or the final score."""
    index = game.index + 1
    questions = round_questions(dialogue.system_prompt, game.round)
    if index < len(questions):
        return replace(game, index=index), [
            *verdict,
            Say("quiz_next", {"question": questions[index].text}),
        ]
    fields = {"score": str(game.score), "total": str(len(questions))}
    lines = [*verdict, Say("quiz_end", fields)]
    if game.score == len(questions):
        lines.append(Say("quiz_prize"))
    lines.append(Say("quiz_play_again"))
    return replace(game, index=index, phase=Phase.REPLAY_OFFERED), lines


def _new_round(game: QuizGame, dialogue: Dialogue) -> tuple[QuizGame, list[Say]]:
    round_number = game.round + 1
    first = round_questions(dialogue.system_prompt, round_number)[0]
    return QuizGame(round=round_number), [Say("quiz_new_round"), verbatim(first.text)]


def _first_letter(answer: Localized) -> Localized:
    def letter(text: str) -> str:
        return fold(_LEADING_ARTICLE.sub("", text))[:1].upper()

    return {"en": letter(answer["en"]), "fr": letter(answer["fr"])}
