"""System prompts per character type, and the goodbye detector."""

from __future__ import annotations

from datetime import datetime

import pytest

from backend.characters.prompts import (
    ANIMALS,
    QUIZ_THEMES,
    SPOKEN_CONVERSATION_RULES,
    is_goodbye,
    system_prompt,
)
from backend.realtime.events import (
    ConstantInstructions,
    GuessAnimalInstructions,
    Instructions,
    Language,
    NewsInstructions,
    QuizShowInstructions,
    SmalltalkInstructions,
    UnmuteExplanationInstructions,
)

NOW = datetime(2025, 3, 14, 9, 26)

ALL_TYPES: list[Instructions] = [
    ConstantInstructions(text="You are Pip, a lighthouse keeper."),
    SmalltalkInstructions(),
    GuessAnimalInstructions(),
    QuizShowInstructions(),
    NewsInstructions(),
    UnmuteExplanationInstructions(),
]


@pytest.mark.parametrize(
    "instructions", [*ALL_TYPES, None], ids=lambda i: getattr(i, "type", "none")
)
def test_every_prompt_carries_the_spoken_conversation_rules(
    instructions: Instructions | None,
) -> None:
    prompt = system_prompt(instructions, now=NOW)
    assert prompt.startswith(SPOKEN_CONVERSATION_RULES)
    for rule in (
        "read aloud",
        "short sentences",
        "markdown",
        "emoji",
        "speech recognition",
        "Bye!",
    ):
        assert rule in prompt
    assert "Friday 14 March 2025, 09:26" in prompt


def test_character_parts_differ_by_type() -> None:
    prompts = {system_prompt(i, now=NOW, secret_seed=1) for i in ALL_TYPES}
    assert len(prompts) == len(ALL_TYPES)


def test_no_instructions_means_smalltalk() -> None:
    assert system_prompt(None, now=NOW) == system_prompt(SmalltalkInstructions(), now=NOW)


def test_constant_text_is_the_character() -> None:
    prompt = system_prompt(
        ConstantInstructions(text="  You are Pip, a lighthouse keeper. "), now=NOW
    )
    assert prompt.endswith("Your character:\nYou are Pip, a lighthouse keeper.")


def test_guess_animal_hides_one_animal_fixed_by_the_seed() -> None:
    prompts = [system_prompt(GuessAnimalInstructions(), now=NOW, secret_seed=s) for s in range(40)]
    chosen = [{a for a in ANIMALS if f"the {a}." in p} for p in prompts]
    assert all(len(animals) == 1 for animals in chosen)
    assert len({animals.pop() for animals in chosen}) > 1  # different conversations vary
    assert all("yes or no" in p for p in prompts)
    again = system_prompt(GuessAnimalInstructions(), now=NOW, secret_seed=7)
    assert again == prompts[7]  # stable for the whole conversation


def test_secret_stays_the_same_within_the_hour_without_a_seed() -> None:
    first = system_prompt(GuessAnimalInstructions(), now=datetime(2025, 3, 14, 9, 0))
    later = system_prompt(GuessAnimalInstructions(), now=datetime(2025, 3, 14, 9, 59))
    secret = [a for a in ANIMALS if f"the {a}." in first]
    assert secret and f"the {secret[0]}." in later


def test_quiz_show_asks_trivia_on_a_theme() -> None:
    prompt = system_prompt(QuizShowInstructions(), now=NOW, secret_seed=3)
    assert "trivia question" in prompt
    assert sum(f"theme is {theme}." in prompt for theme in QUIZ_THEMES) == 1


def test_news_admits_it_has_no_live_feed() -> None:
    prompt = system_prompt(NewsInstructions(), now=NOW)
    assert "no live news feed" in prompt
    assert "never invent news" in prompt


def test_unmute_explanation_covers_the_pipeline_and_invents_no_figures() -> None:
    prompt = system_prompt(UnmuteExplanationInstructions(), now=NOW)
    for fact in ("speech-to-text", "text-to-speech", "OpenAI-compatible", "self-hosted", "stream"):
        assert fact in prompt
    assert "never invent figures" in prompt
    assert not any(char.isdigit() for char in prompt.split("Your character:")[1])


@pytest.mark.parametrize(
    ("language", "expected"),
    [
        ("en", "Speak English."),
        ("fr", "Parle uniquement en français."),
        ("en/fr", "Speak English, but switch to French if the user speaks French."),
        ("fr/en", "Parle en français, mais passe à l'anglais"),
        (None, "Answer in the language the user speaks"),
    ],
)
def test_language_rule(language: Language | None, expected: str) -> None:
    for instructions in (
        SmalltalkInstructions(language=language),
        ConstantInstructions(text="Be nice.", language=language),
        NewsInstructions(language=language),
    ):
        assert expected in system_prompt(instructions, now=NOW)


def test_unmute_explanation_follows_the_users_language() -> None:
    prompt = system_prompt(UnmuteExplanationInstructions(), now=NOW)
    assert "Answer in the language the user speaks" in prompt


@pytest.mark.parametrize(
    "reply",
    [
        "Bye!",
        "It was lovely talking to you. Bye!",
        "Goodbye.",
        "Thanks for playing! Goodbye, my friend!",
        "Good bye!",
        "Bye-bye!",
        "À bientôt, bye!",
        "Au revoir !",
        "Merci pour cette conversation. Au revoir !",
        "C'était un plaisir. À bientôt !",
        "  Bye!  ",
    ],
)
def test_farewells_end_the_conversation(reply: str) -> None:
    assert is_goodbye(reply)


@pytest.mark.parametrize(
    "reply",
    [
        "",
        "Hello there!",
        "Bye is a short word. What else would you like to know?",
        "You can say goodbye whenever you want.",
        "Goodbye is hard to say sometimes, isn't it?",
        "I went by the station.",
        "Au revoir means goodbye in French. Want to learn more words?",
    ],
)
def test_other_replies_do_not(reply: str) -> None:
    assert not is_goodbye(reply)
