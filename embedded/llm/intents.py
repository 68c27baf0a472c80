"""What a user turn is about: a greeting, a goodbye, a question… in English or French."""

from __future__ import annotations

import re
from enum import StrEnum
from functools import lru_cache

from embedded.llm.dialogue import is_silence
from embedded.llm.text import fold, has_any, has_phrase, word_list, words


class Intent(StrEnum):
    SILENCE = "silence"
    GOODBYE = "goodbye"
    HEAR_ME = "hear_me"
    HOW_ARE_YOU = "how_are_you"
    NAME = "name"
    TIME = "time"
    JOKE = "joke"
    THANKS = "thanks"
    USER_NAME = "user_name"
    FEELING_BAD = "feeling_bad"
    FEELING_GOOD = "feeling_good"
    GREETING = "greeting"
    YES = "yes"
    NO = "no"
    QUESTION = "question"
    STATEMENT = "statement"


_GOODBYES = (
    "bye", "goodbye", "good bye", "bye bye", "see you", "see ya", "see you later",
    "farewell", "good night", "talk to you later", "i have to go", "i've got to go",
    "i gotta go", "gotta go", "i need to go", "i'm leaving", "i am leaving", "au revoir",
    "a bientot", "a plus", "a plus tard", "a la prochaine", "bonne nuit", "adieu", "ciao",
    "je dois y aller", "je dois partir", "je m'en vais", "salut et a bientot",
)  # fmt: skip
_NOT_GOODBYE = ("nice to see you", "good to see you", "great to see you", "glad to see you")
_HEAR_ME = (
    "can you hear me", "do you hear me", "are you hearing me", "are you there",
    "is anyone there", "is this working", "does this work", "tu m'entends",
    "vous m'entendez", "est ce que tu m'entends", "tu es la", "il y a quelqu'un",
)  # fmt: skip
_HOW_ARE_YOU = (
    "how are you", "how are you doing", "how's it going", "how is it going",
    "how are things", "how do you do", "how have you been", "how's your day",
    "how is your day", "what's up", "comment vas tu", "comment allez vous",
    "comment tu vas", "comment ca va", "tu vas bien", "vous allez bien",
)  # fmt: skip
_NAME = (
    "what's your name", "what is your name", "who are you", "who am i talking to",
    "do you have a name", "what should i call you", "what are you called",
    "comment tu t'appelles", "tu t'appelles comment", "quel est ton nom",
    "comment vous appelez vous", "qui es tu", "qui etes vous", "c'est quoi ton nom",
)  # fmt: skip
_TIME = (
    "what time is it", "what's the time", "what is the time", "do you have the time",
    "what day is it", "what's the date", "what is the date", "what day is today",
    "quelle heure est il", "il est quelle heure", "quelle heure", "quel jour sommes nous",
    "on est quel jour", "quelle est la date",
)  # fmt: skip
_JOKE = (
    "joke", "jokes", "make me laugh", "something funny", "funny story", "blague",
    "blagues", "fais moi rire", "quelque chose de drole", "une histoire drole",
)  # fmt: skip
_THANKS = ("thanks", "thank you", "thank", "cheers", "merci", "merci beaucoup")
_GREETINGS = (
    "hello", "hi", "hey", "hiya", "howdy", "greetings", "good morning",
    "good afternoon", "good evening", "hello there", "hi there", "hey there", "yo",
    "bonjour", "salut", "coucou", "bonsoir", "allo", "hello hello", "re bonjour",
    "nice to see you", "good to see you", "great to see you", "nice to meet you",
    "pleased to meet you", "enchante", "ravi de te voir", "content de te voir",
)  # fmt: skip
_YES_WORDS = (
    "yes", "yeah", "yep", "yup", "sure", "of course", "ok", "okay", "alright",
    "all right", "absolutely", "definitely", "why not", "let's do it", "let's go",
    "go ahead", "please do", "i'd love to", "sounds good", "oui", "ouais", "bien sur",
    "d'accord", "ok d'accord", "volontiers", "carrement", "allons y", "vas y", "evidemment",
)  # fmt: skip
_NO_WORDS = (
    "no", "nope", "nah", "not really", "no thanks", "no thank you", "not now",
    "i don't think so", "maybe later", "non", "non merci", "pas vraiment", "pas maintenant",
    "plus tard", "pas du tout",
)  # fmt: skip
_FEELING_BAD = (
    "not good", "not great", "not so good", "not well", "not too good", "bad", "terrible",
    "awful", "sad", "tired", "exhausted", "sick", "ill", "stressed", "bored", "lonely",
    "so so", "meh", "pas bien", "pas terrible", "pas top", "bof", "fatigue", "fatiguee",
    "triste", "malade", "stresse", "stressee", "je m'ennuie", "mal", "crevé",
)  # fmt: skip
_FEELING_GOOD = (
    "good", "great", "fine", "very well", "awesome", "fantastic", "wonderful",
    "happy", "excellent", "pretty good", "doing well", "i'm good", "i'm fine", "i'm well",
    "i'm great", "i'm ok", "i'm okay", "ca va", "ca va bien", "tres bien", "bien",
    "super", "genial", "nickel", "en forme", "content", "contente", "heureux", "heureuse",
)  # fmt: skip
_USER_NAME = re.compile(
    r"\b(?:my name is|my name s|call me|je m appelle|mon nom est|mon prenom est|moi c est)"
    r" ([a-z][a-z-]+)"
)
_QUESTION_STARTS = frozenset(
    word_list(
        "what whats who whos where wheres when why how which whose is are am do does did can "
        "could would will should shall have has may might isnt arent dont doesnt "
        "quoi que qu qui ou quand pourquoi comment quel quelle quels quelles combien est "
        "peux peut pouvez sais savez as avez aimes aimez"
    )
)
_NOT_BAD = ("not bad", "not too bad", "pas mal")
# Longer turns that start with "yes"/"no" say more than yes or no.
_SHORT_ANSWER_WORDS = 6
# Beyond this, "good" or "bad" in a turn is about something else than the user's mood.
_FEELING_MAX_WORDS = 8
# A turn this short, once greetings are set aside, was just a greeting ("hi there Bob").
_GREETING_LEFTOVER_WORDS = 1


@lru_cache(maxsize=4096)  # games replay the whole history on every request
def classify(text: str) -> Intent:
    """The main intent of one user turn; the most specific one wins."""
    if not text.strip() or is_silence(text):
        return Intent.SILENCE
    folded = fold(text)
    if has_any(folded, _GOODBYES) and not has_any(folded, _NOT_GOODBYE):
        return Intent.GOODBYE
    for phrases, intent in (
        (_HEAR_ME, Intent.HEAR_ME),
        (_HOW_ARE_YOU, Intent.HOW_ARE_YOU),
        (_NAME, Intent.NAME),
        (_TIME, Intent.TIME),
        (_JOKE, Intent.JOKE),
    ):
        if has_any(folded, phrases):
            return intent
    if has_phrase(folded, "ca va") and "?" in text and not has_phrase(folded, "bien"):
        return Intent.HOW_ARE_YOU  # "ça va ?" asks; "ça va" answers
    if user_name(text) is not None:
        return Intent.USER_NAME
    if _is_mostly(folded, _GREETINGS):
        return Intent.GREETING
    if is_question(text):
        return Intent.QUESTION
    length = len(folded.split())
    if length <= _SHORT_ANSWER_WORDS:
        if has_any(folded, _NOT_BAD):
            return Intent.FEELING_GOOD
        if _starts_with_any(folded, _NO_WORDS):
            return Intent.NO
        if _starts_with_any(folded, _YES_WORDS):
            return Intent.YES
    if length <= _FEELING_MAX_WORDS:
        if has_any(folded, _FEELING_BAD):
            return Intent.FEELING_BAD
        if has_any(folded, _FEELING_GOOD):
            return Intent.FEELING_GOOD
    if has_any(folded, _THANKS) and length <= _SHORT_ANSWER_WORDS:
        return Intent.THANKS
    return Intent.STATEMENT


def is_question(text: str) -> bool:
    tokens = words(text.replace("'", ""))
    return text.rstrip().endswith("?") or bool(tokens and tokens[0] in _QUESTION_STARTS)


def _is_mostly(folded: str, phrases: tuple[str, ...]) -> bool:
    """The turn is one of `phrases` plus at most a word ("hi there", "hello Bob")."""
    remaining = f" {folded} "
    for phrase in sorted(phrases, key=len, reverse=True):
        remaining = remaining.replace(f" {fold(phrase)} ", " ")
    leftover = remaining.split()
    return len(leftover) <= _GREETING_LEFTOVER_WORDS and len(leftover) < len(folded.split())


def _starts_with_any(folded: str, phrases: tuple[str, ...]) -> bool:
    return any(f"{folded} ".startswith(f"{fold(p)} ") for p in phrases)


def user_name(text: str) -> str | None:
    """The name the user gave: "My name is Alice" → "Alice"."""
    match = _USER_NAME.search(fold(text))
    if match is None or has_phrase(match.group(1), "not"):
        return None
    return match.group(1).capitalize()
