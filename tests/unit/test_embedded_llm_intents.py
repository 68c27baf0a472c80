"""Understanding a transcribed user turn: text folding, numbers, language, intent."""

from __future__ import annotations

import pytest

from embedded.llm.dialogue import is_silence, strip_silence_prefix
from embedded.llm.intents import Intent, classify, user_name
from embedded.llm.language import looks_french
from embedded.llm.text import fold, has_phrase, with_digits


def test_fold_removes_case_accents_and_punctuation() -> None:
    assert fold("Ça va, l'Éléphant ?") == "ca va l elephant"
    assert has_phrase(fold("What's your NAME?"), "what's your name")
    assert not has_phrase(fold("goodbyes"), "bye")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("eight legs", "8 legs"),
        ("twenty one", "21"),
        ("seventy seven", "77"),
        ("a lion and one cat", "a lion and one cat"),
        ("quatre vingt", "4 20"),
        ("huit pattes", "8 pattes"),
        ("sixty", "60"),
    ],
)
def test_number_words_become_digits(text: str, expected: str) -> None:
    assert with_digits(text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Bonjour, comment ça va ?", True),
        ("Oui", True),
        ("Hello, how are you?", False),
        ("yes", False),
        ("Paris", None),
        ("...", None),
    ],
)
def test_language_of_a_turn(text: str, expected: bool | None) -> None:
    assert looks_french(text) is expected


@pytest.mark.parametrize(
    ("text", "intent"),
    [
        ("...", Intent.SILENCE),
        ("... ...", Intent.SILENCE),
        ("", Intent.SILENCE),
        ("Bye!", Intent.GOODBYE),
        ("Thanks, goodbye", Intent.GOODBYE),
        ("Au revoir !", Intent.GOODBYE),
        ("À bientôt", Intent.GOODBYE),
        ("Good night", Intent.GOODBYE),
        ("Nice to see you", Intent.GREETING),
        ("Hello, can you hear me?", Intent.HEAR_ME),
        ("Tu m'entends ?", Intent.HEAR_ME),
        ("Hi, how are you doing?", Intent.HOW_ARE_YOU),
        ("Ça va ?", Intent.HOW_ARE_YOU),
        ("Ça va bien", Intent.FEELING_GOOD),
        ("Who are you?", Intent.NAME),
        ("Comment tu t'appelles ?", Intent.NAME),
        ("What time is it?", Intent.TIME),
        ("Quelle heure est-il ?", Intent.TIME),
        ("Tell me a joke", Intent.JOKE),
        ("Raconte-moi une blague", Intent.JOKE),
        ("Thanks a lot", Intent.THANKS),
        ("Merci beaucoup", Intent.THANKS),
        ("My name is Bob", Intent.USER_NAME),
        ("Hello there", Intent.GREETING),
        ("Bonjour", Intent.GREETING),
        ("Yes, sure", Intent.YES),
        ("Oui, d'accord", Intent.YES),
        ("Nope", Intent.NO),
        ("Non merci", Intent.NO),
        ("Not bad", Intent.FEELING_GOOD),
        ("I'm a bit tired", Intent.FEELING_BAD),
        ("Is it a mammal", Intent.QUESTION),
        ("Est-ce que c'est grand ?", Intent.QUESTION),
        ("I went to the market this morning and bought some apples", Intent.STATEMENT),
    ],
)
def test_intent_of_a_turn(text: str, intent: Intent) -> None:
    assert classify(text) is intent


def test_the_users_name_is_picked_up() -> None:
    assert user_name("Hi, my name is alice") == "Alice"
    assert user_name("Je m'appelle Léa") == "Lea"
    assert user_name("I like pizza") is None


def test_silence_markers() -> None:
    assert is_silence("...") and is_silence(" … ") and not is_silence("... hi")
    assert strip_silence_prefix("... hello there") == "hello there"
    assert strip_silence_prefix("...") == "..."
