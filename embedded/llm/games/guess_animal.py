"""Guess the animal: the bot thinks of one, the user asks yes/no questions and guesses.

No state is kept between requests: the game is replayed from the user's turns since the
bot's opening, and the secret animal of each round follows from the system prompt.
"""

from __future__ import annotations

import hashlib
import random
import re
from dataclasses import dataclass, replace
from functools import lru_cache

from embedded.llm import chat
from embedded.llm.dialogue import Dialogue
from embedded.llm.games.animal_questions import Answer, answer_about
from embedded.llm.games.animals import ANIMALS, OTHER_ANIMAL_NAMES, Animal
from embedded.llm.games.common import CHAT_ASIDES, GIVE_UP, HINT, PLAY_AGAIN, Phase
from embedded.llm.intents import Intent, classify
from embedded.llm.language import Localized
from embedded.llm.lines import Say
from embedded.llm.persona import Persona
from embedded.llm.text import fold, has_any

# After this many questions without finding it, the user gets a hint unasked.
AUTO_HINT_AFTER = (10, 15, 20)

_KIND_HINTS: dict[str, Localized] = {
    "mammal": {"en": "it's a mammal.", "fr": "c'est un mammifère."},
    "bird": {"en": "it's a bird.", "fr": "c'est un oiseau."},
    "fish": {"en": "it's a fish.", "fr": "c'est un poisson."},
    "reptile": {"en": "it's a reptile.", "fr": "c'est un reptile."},
    "amphibian": {"en": "it's an amphibian.", "fr": "c'est un amphibien."},
    "insect": {"en": "it's an insect.", "fr": "c'est un insecte."},
    "arachnid": {"en": "it's an arachnid.", "fr": "c'est un arachnide."},
    "mollusc": {"en": "it's a mollusc.", "fr": "c'est un mollusque."},
}

_ALL_NAMES = sorted(
    {alias for animal in ANIMALS for alias in animal.aliases}
    | {fold(name) for name in OTHER_ANIMAL_NAMES},
    key=len,
    reverse=True,
)
_NAMES = "|".join(re.escape(name) for name in _ALL_NAMES)
_ARTICLE = r"(?:an?|the|un|une|le|la|les|l|des|du)"
_FRAMED_GUESS = re.compile(
    r"\b(?:is it|it s|its|is that|could it be|would it be|maybe|perhaps|i guess|"
    r"my guess is|i think it s|i think its|is the animal|the animal is|c est|est ce|"
    r"est ce que c est|ce serait|c etait|serait ce|peut etre|je pense que c est|je dirais|"
    r"or|ou)"
    rf"(?: (?P<article>{_ARTICLE}))? (?P<name>{_NAMES})\b"
)
_BARE_GUESS = re.compile(
    rf"^(?:(?:um|uh|hmm|euh|oh|ok|so|then|alors|bon|a|an|the|un|une|le|la|l) )*"
    rf"(?P<name>{_NAMES})$"
)
_KB_NAMES = "|".join(
    re.escape(a) for a in sorted({a for x in ANIMALS for a in x.aliases}, key=len, reverse=True)
)
_NAMED_IN_PROMPT = re.compile(
    r"\b(?:animal(?: you (?:are|re) thinking of| to guess| a deviner| secret| choisi)?"
    r"(?: is| est| was)?|thinking of|think of|pense a|penses a)"
    rf"(?: {_ARTICLE})? (?P<name>{_KB_NAMES})\b"
)


@dataclass(frozen=True)
class AnimalGame:
    round: int = 0
    phase: Phase = Phase.PLAYING
    questions: int = 0
    hints: int = 0


def opening() -> list[Say]:
    return [Say("open_guess_animal")]


def reply(dialogue: Dialogue, persona: Persona) -> list[Say]:
    """Replays the game over the user's turns; the reply to the last one is the answer."""
    game = AnimalGame()
    lines = opening()
    for text in dialogue.user_texts_after_first_bot_turn():
        game, lines = _step(game, text, dialogue, persona)
    return lines


@lru_cache(maxsize=256)  # asked on every replayed turn of every request
def secret_animal(system_prompt: str, round_number: int) -> Animal:
    """The animals the prompt names, in order, then a shuffled order seeded by the prompt."""
    named = _named_in_prompt(system_prompt)
    others = [a for a in ANIMALS if a not in named]
    digest = hashlib.sha256(system_prompt.encode()).digest()
    random.Random(int.from_bytes(digest[:8], "big")).shuffle(others)
    order = named + others
    return order[round_number % len(order)]


def guessed_name(text: str) -> tuple[str, str | None] | None:
    """`(name, article)` when the turn guesses an animal: "is it a lion?", "lion!"."""
    folded = fold(text)
    match = _FRAMED_GUESS.search(folded) or _BARE_GUESS.match(folded)
    if match is None:
        return None
    article = match.groupdict().get("article")
    return match.group("name"), article


def _named_in_prompt(system_prompt: str) -> list[Animal]:
    """Animals the prompt picked ("your chosen animal is: Dog"), the ones known here."""
    named: list[Animal] = []
    for match in _NAMED_IN_PROMPT.finditer(fold(system_prompt)):
        animal = next(a for a in ANIMALS if match.group("name") in a.aliases)
        if animal not in named:
            named.append(animal)
    return named


def _step(
    game: AnimalGame, text: str, dialogue: Dialogue, persona: Persona
) -> tuple[AnimalGame, list[Say]]:
    intent = classify(text)
    folded = fold(text)
    if game.phase is Phase.REPLAY_OFFERED:
        if intent is Intent.YES or has_any(folded, PLAY_AGAIN):
            return _new_round(game)
        if intent is Intent.NO:
            return replace(game, phase=Phase.IDLE), [Say("game_over_ok")]
        game = replace(game, phase=Phase.IDLE)
    if game.phase is Phase.IDLE:
        if has_any(folded, PLAY_AGAIN):
            return _new_round(game)
        return game, chat.reply_to_intent(intent, text, dialogue, persona)
    return _play(game, text, intent, dialogue, persona)


def _play(
    game: AnimalGame, text: str, intent: Intent, dialogue: Dialogue, persona: Persona
) -> tuple[AnimalGame, list[Say]]:
    if intent is Intent.SILENCE:
        if dialogue.trailing_silences() > 1:
            return game, chat.silence(dialogue)
        return game, [Say("animal_silence")]
    animal = secret_animal(dialogue.system_prompt, game.round)
    folded = fold(text)
    if has_any(folded, GIVE_UP):
        return replace(game, phase=Phase.REPLAY_OFFERED), [
            Say("animal_reveal", {"animal": animal.name})
        ]
    if has_any(folded, HINT):
        return _hint(game, animal)
    guess = guessed_name(text)
    if guess is not None:
        return _judge_guess(game, animal, *guess)
    answer = answer_about(animal, text)
    if answer is not None:
        key = {Answer.YES: "animal_yes", Answer.NO: "animal_no", Answer.UNSURE: "animal_unsure"}
        return _with_auto_hint(replace(game, questions=game.questions + 1), animal, key[answer])
    if intent in CHAT_ASIDES:
        aside = chat.reply_to_intent(intent, text, dialogue, persona)
        return game, [*aside, Say("animal_keep_asking")]
    if intent in (Intent.YES, Intent.NO):
        return game, [Say("animal_not_a_question")]
    return game, [Say("animal_not_understood")]


def _judge_guess(
    game: AnimalGame, animal: Animal, name: str, article: str | None
) -> tuple[AnimalGame, list[Say]]:
    asked = game.questions + 1
    if name in animal.aliases:
        key = "animal_right_first_try" if asked == 1 else "animal_right_guess"
        won = replace(game, phase=Phase.REPLAY_OFFERED, questions=asked)
        return won, [Say(key, {"animal": animal.name, "count": str(asked)})]
    known = next((a for a in ANIMALS if name in a.aliases), None)
    shown: Localized = known.name if known is not None else _with_article(name, article)
    return _with_auto_hint(
        replace(game, questions=asked), animal, "animal_wrong_guess", {"guess": shown}
    )


def _with_auto_hint(
    game: AnimalGame, animal: Animal, key: str, fields: dict[str, Localized] | None = None
) -> tuple[AnimalGame, list[Say]]:
    lines = [Say(key, fields or {})]
    if game.questions in AUTO_HINT_AFTER and game.hints < len(_hints(animal)):
        game, hint_lines = _hint(game, animal)
        lines += hint_lines
    return game, lines


def _hint(game: AnimalGame, animal: Animal) -> tuple[AnimalGame, list[Say]]:
    hints = _hints(animal)
    if game.hints >= len(hints):
        return game, [Say("animal_no_more_hints")]
    return replace(game, hints=game.hints + 1), [Say("animal_hint", {"hint": hints[game.hints]})]


def _hints(animal: Animal) -> list[Localized]:
    bare = animal.bare_name
    first_letter: Localized = {
        "en": f"its name starts with the letter {bare['en'][0].upper()}.",
        "fr": f"son nom commence par la lettre {fold(bare['fr'])[0].upper()}.",
    }
    return [_KIND_HINTS[animal.kind], animal.clue, first_letter]


def _with_article(name: str, article: str | None) -> Localized:
    english = article if article in ("a", "an", "the") else ("an" if name[0] in "aeiou" else "a")
    french = {"un": "un ", "une": "une ", "le": "le ", "la": "la ", "l": "l'"}.get(
        article or "", "un "
    )
    return {"en": f"{english} {name}", "fr": f"{french}{name}"}


def _new_round(game: AnimalGame) -> tuple[AnimalGame, list[Say]]:
    return AnimalGame(round=game.round + 1), [Say("animal_new_round")]
