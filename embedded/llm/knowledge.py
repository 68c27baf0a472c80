"""Answers to simple questions: sums, capitals, favourites, and questions about the bot."""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable

from embedded.llm.lines import Say, verbatim
from embedded.llm.text import fold, has_any, with_digits, word_list

_OPERATIONS: dict[str, Callable[[int, int], float]] = {
    "plus": lambda a, b: a + b,
    "and": lambda a, b: a + b,
    "minus": lambda a, b: a - b,
    "less": lambda a, b: a - b,
    "times": lambda a, b: a * b,
    "multiplied by": lambda a, b: a * b,
    "divided by": lambda a, b: a / b,
    "over": lambda a, b: a / b,
    "fois": lambda a, b: a * b,
    "moins": lambda a, b: a - b,
    "multiplie par": lambda a, b: a * b,
    "divise par": lambda a, b: a / b,
}
_ARITHMETIC = re.compile(
    r"\b(\d+) (" + "|".join(sorted(_OPERATIONS, key=len, reverse=True)) + r") (\d+)\b"
)
_SYMBOLS = {"+": " plus ", "×": " times ", "*": " times ", "÷": " divided by "}

_CAPITALS: dict[tuple[str, ...], str] = {
    ("france",): "Paris",
    ("germany", "allemagne"): "Berlin",
    ("italy", "italie"): "Rome",
    ("spain", "espagne"): "Madrid",
    ("portugal",): "Lisbon",
    ("united kingdom", "uk", "england", "britain", "angleterre", "royaume uni"): "London",
    ("ireland", "irlande"): "Dublin",
    ("belgium", "belgique"): "Brussels",
    ("netherlands", "holland", "pays bas"): "Amsterdam",
    ("switzerland", "suisse"): "Bern",
    ("greece", "grece"): "Athens",
    ("poland", "pologne"): "Warsaw",
    ("sweden", "suede"): "Stockholm",
    ("norway", "norvege"): "Oslo",
    ("russia", "russie"): "Moscow",
    ("turkey", "turquie"): "Ankara",
    ("egypt", "egypte"): "Cairo",
    ("morocco", "maroc"): "Rabat",
    ("kenya",): "Nairobi",
    ("india", "inde"): "New Delhi",
    ("china", "chine"): "Beijing",
    ("japan", "japon"): "Tokyo",
    ("south korea", "coree du sud", "korea", "coree"): "Seoul",
    ("australia", "australie"): "Canberra",
    ("canada",): "Ottawa",
    ("united states", "usa", "america", "us", "etats unis", "amerique"): "Washington, D.C.",
    ("mexico", "mexique"): "Mexico City",
    ("brazil", "bresil"): "Brasília",
    ("argentina", "argentine"): "Buenos Aires",
}
_CAPITAL_QUESTION = re.compile(r"\bcapital(?:e)? (?:city )?(?:of|de|du|des|d)\b(.*)")

_FAVOURITES: tuple[tuple[tuple[str, ...], dict[str, str]], ...] = (
    (("color", "colour", "couleur"), {"en": "blue, like the sky on a good day",
                                      "fr": "le bleu, comme le ciel un beau jour"}),
    (("food", "dish", "meal", "plat", "nourriture", "repas"), {"en": "pizza, hard to beat",
                                                              "fr": "les crêpes, sans hésiter"}),
    (("animal",), {"en": "the octopus: eight arms and very clever",
                   "fr": "la pieuvre : huit bras et très maligne"}),
    (("movie", "film"), {"en": "anything with robots that learn to talk",
                         "fr": "tous les films où un robot apprend à parler"}),
    (("book", "livre"), {"en": "a good dictionary. Lots of words, no spoilers",
                         "fr": "un bon dictionnaire. Plein de mots, aucun spoiler"}),
    (("music", "song", "band", "musique", "chanson", "groupe"),
     {"en": "jazz, because it improvises, like me",
      "fr": "le jazz, parce qu'il improvise, comme moi"}),
    (("season", "saison"), {"en": "autumn, for the colors", "fr": "l'automne, pour les couleurs"}),
    (("number", "nombre", "chiffre"), {"en": "seven", "fr": "le sept"}),
    (("sport",), {"en": "chess, if that counts", "fr": "les échecs, si ça compte"}),
)  # fmt: skip

# Questions about the bot itself: (trigger phrases, answer).
_ABOUT_ME: tuple[tuple[tuple[str, ...], dict[str, str]], ...] = (
    (("how old are you", "your age", "quel age as tu", "quel age tu as", "ton age"),
     {"en": "I don't really have an age. I started when this server did.",
      "fr": "Je n'ai pas vraiment d'âge. Je suis né quand ce serveur a démarré."}),
    (("where are you from", "where do you live", "where are you", "ou habites tu",
      "tu habites ou", "d ou viens tu", "tu viens d ou", "ou es tu"),
     {"en": "I live on a computer, probably not very far from you.",
      "fr": "J'habite dans un ordinateur, sûrement pas très loin de toi."}),
    (("who made you", "who created you", "who built you", "who programmed you",
      "qui t a cree", "qui t a fait", "qui t a programme"),
     {"en": "I'm part of Unmute, an open-source project that gives language models a voice.",
      "fr": "Je fais partie d'Unmute, un projet open source qui donne une voix aux "
            "modèles de langage."}),
    (("what are you doing", "what are you up to", "tu fais quoi", "qu est ce que tu fais",
      "que fais tu"),
     {"en": "Just chatting with you. Best part of my day, honestly.",
      "fr": "Je discute avec toi. C'est le meilleur moment de ma journée."}),
    (("are you a robot", "are you human", "are you a human", "are you real", "are you an ai",
      "are you a person", "what are you", "tu es un robot", "es tu un robot", "tu es humain",
      "es tu humain", "tu es une ia", "es tu une ia", "tu es reel"),
     {"en": "I'm a small rule-based program standing in for a real language model. "
            "Not human, but happy to chat.",
      "fr": "Je suis un petit programme à base de règles qui remplace un vrai modèle de "
            "langage. Pas humain, mais content de discuter."}),
    (("what can you do", "what do you do", "que sais tu faire", "qu est ce que tu sais faire",
      "tu sais faire quoi", "what are you good at"),
     {"en": "I can chat a little, tell a joke, and answer simple questions.",
      "fr": "Je peux discuter un peu, raconter une blague et répondre à des questions simples."}),
    (("weather", "raining", "sunny", "meteo", "il pleut", "il fait beau", "temps qu il fait"),
     {"en": "I can't look outside from here. What's it like where you are?",
      "fr": "Je ne peux pas regarder dehors d'ici. Il fait quel temps chez toi ?"}),
)  # fmt: skip

_DO_YOU_LIKE = re.compile(
    r"^(?:do you (?:like|love|enjoy)|tu aimes|est ce que tu aimes|aimes tu) (.{1,40})$"
)
_YES_NO_STARTS = frozenset(
    word_list("is are am do does did can could would will should have has was were est peux")
)


def answer(text: str) -> list[Say] | None:
    """A reply to a simple question, or None when this knowledge does not cover it."""
    for symbol, word in _SYMBOLS.items():
        text = text.replace(symbol, word)
    folded = with_digits(fold(text))
    for found in (_arithmetic, _capital, _about_me, _favourite, _do_you_like, _yes_no):
        lines = found(folded)
        if lines is not None:
            return lines
    return None


def _arithmetic(folded: str) -> list[Say] | None:
    match = _ARITHMETIC.search(folded)
    if match is None:
        return None
    left, operation, right = int(match.group(1)), match.group(2), int(match.group(3))
    try:
        result = _OPERATIONS[operation](left, right)
    except ZeroDivisionError:
        return [verbatim({"en": "You can't divide by zero. Even I know that one.",
                          "fr": "On ne peut pas diviser par zéro. Ça, je le sais."})]  # fmt: skip
    shown = f"{result:g}" if isinstance(result, float) else str(result)
    return [verbatim({"en": f"That's {shown}.", "fr": f"Ça fait {shown}."})]


def _capital(folded: str) -> list[Say] | None:
    match = _CAPITAL_QUESTION.search(folded)
    if match is None:
        return None
    asked = f" {match.group(1).strip()} "
    for countries, city in _CAPITALS.items():
        if any(f" {country} " in asked for country in countries):
            return [verbatim({"en": f"That's {city}.", "fr": f"C'est {city}."})]
    return None


def _about_me(folded: str) -> list[Say] | None:
    for triggers, reply in _ABOUT_ME:
        if has_any(folded, triggers):
            return [verbatim({"en": reply["en"], "fr": reply["fr"]})]
    return None


def _favourite(folded: str) -> list[Say] | None:
    if not has_any(folded, ("favorite", "favourite", "prefere", "preferee", "preferes")):
        return None
    for categories, choice in _FAVOURITES:
        if has_any(folded, categories):
            return [verbatim({"en": f"I'd say {choice['en']}. What about you?",
                              "fr": f"Je dirais {choice['fr']}. Et toi ?"})]  # fmt: skip
    return [verbatim({"en": "I don't really have a favorite. What's yours?",
                      "fr": "Je n'ai pas vraiment de préféré. Et toi ?"})]  # fmt: skip


def _do_you_like(folded: str) -> list[Say] | None:
    match = _DO_YOU_LIKE.match(folded)
    if match is None:
        return None
    thing = reflect(match.group(1))
    return [verbatim({"en": f"I do like {thing}, actually. Do you?",
                      "fr": f"Oui, j'aime bien {thing}. Et toi ?"})]  # fmt: skip


def _yes_no(folded: str) -> list[Say] | None:
    if not folded or folded.split()[0] not in _YES_NO_STARTS:
        return None
    # The same question always gets the same opinion, whatever the phrasing variety.
    leaning_yes = hashlib.sha256(folded.encode()).digest()[0] % 2 == 0
    return [Say("guess_yes" if leaning_yes else "guess_no")]


_REFLECTIONS = {
    "me": "you", "my": "your", "mine": "yours", "myself": "yourself", "you": "me",
    "your": "my", "yours": "mine", "i": "you", "am": "are",
    "moi": "toi", "toi": "moi", "mon": "ton", "ton": "mon", "ma": "ta", "ta": "ma",
    "mes": "tes", "tes": "mes",
}  # fmt: skip


def reflect(folded_phrase: str) -> str:
    """Turns the user's words around: "my dog" → "your dog", "me" → "you"."""
    return " ".join(_REFLECTIONS.get(word, word) for word in folded_phrase.split())
