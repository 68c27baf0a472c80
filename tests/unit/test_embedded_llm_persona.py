"""Reading the system prompt: character, language and persona."""

from __future__ import annotations

import re
from datetime import datetime

import pytest

from backend.characters.prompts import system_prompt
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
from embedded.llm.games.guess_animal import secret_animal
from embedded.llm.language import prompt_language
from embedded.llm.persona import Character, detect_character, persona_of

# Boilerplate like the backend's: speech pipeline, Unmute, Kyutai, French, silence, "Bye!".
# None of it may pull the detection towards a character.
SHARED = """
# BASICS
You are in a spoken conversation; the user's words come from speech-to-text and your
words go to text-to-speech, so write the way people talk. Reply in the user's language.
# STYLE
Be brief. {language}
{instructions}
# WHO YOU ARE
In simple terms, you're a modular AI system that can speak: a speech-to-text model (the
ears), an LLM (the brain) and a text-to-speech model (the mouth). This is Unmute, by Kyutai.
# SILENCE AND GOODBYES
A user message of "..." means they have been quiet. When they say goodbye, end with "Bye!".
"""
EN = "Speak English. You also speak a bit of French, with an accent."
FR = "Speak French. Don't speak English unless asked to."
EN_FR = "You speak English and French."
FR_EN = "You speak French and English."

CHARACTER_INSTRUCTIONS = {
    Character.GUESS_ANIMAL: "You think of an animal; the user must guess it by asking yes/no "
    "questions. Explain the game first. Your chosen animal is: Zebra.",
    Character.QUIZ_SHOW: "You're a quiz show host and the user is a contestant. Explain the "
    "rules; there is a prize if they answer all questions.\n1. What is the capital of Peru? "
    "(Lima)\n2. Which animal is the fastest on land? (Cheetah)",
    Character.NEWS: "You talk about tech news with the user. You couldn't retrieve today's "
    "headlines: explain and offer to talk about something else.",
    Character.UNMUTE_EXPLANATION: "In the first message, say you're here to answer questions "
    "about Unmute, the system they're talking to right now.",
    Character.SMALLTALK: "Make small talk. Greet the user and ask how their day is going.",
    Character.CONSTANT: "You are a retired astronaut who tells stories about space.",
}


def full_prompt(instructions: str, language: str = EN) -> str:
    return SHARED.format(language=language, instructions=instructions)


@pytest.mark.parametrize("character", list(CHARACTER_INSTRUCTIONS))
@pytest.mark.parametrize("language", [EN, FR, EN_FR])
def test_detects_each_character_inside_the_shared_boilerplate(
    character: Character, language: str
) -> None:
    prompt = full_prompt(CHARACTER_INSTRUCTIONS[character], language)
    assert detect_character(prompt) is character


def test_the_boilerplate_alone_is_small_talk() -> None:
    assert detect_character(full_prompt("")) is Character.SMALLTALK


def test_an_empty_prompt_is_small_talk() -> None:
    assert detect_character("") is Character.SMALLTALK


@pytest.mark.parametrize(
    ("instructions", "expected"),
    [
        ("You are a zookeeper who loves animals.", Character.CONSTANT),
        (
            "Devine l'animal : tu penses à un animal, l'utilisateur pose des questions, "
            "tu réponds par oui ou par non.",
            Character.GUESS_ANIMAL,
        ),
        ("Tu es l'animateur d'un jeu télévisé de culture générale.", Character.QUIZ_SHOW),
        ("Parle de l'actualité avec l'utilisateur.", Character.NEWS),
        ("Ask trivia questions about animals and count the correct answers.", Character.QUIZ_SHOW),
        ("Explain how Unmute works, then answer questions.", Character.UNMUTE_EXPLANATION),
        ("You are a helpful assistant.", Character.SMALLTALK),
    ],
)
def test_detection_follows_the_characters_own_words(instructions: str, expected: Character) -> None:
    assert detect_character(full_prompt(instructions)) is expected


@pytest.mark.parametrize(
    ("language", "expected"),
    [(EN, "en"), (FR, "fr"), (EN_FR, "en"), (FR_EN, "fr"), ("", "en")],
)
def test_the_first_language_directive_decides(language: str, expected: str) -> None:
    assert prompt_language(full_prompt("Make small talk.", language)) == expected


def test_a_prompt_written_in_french_is_french() -> None:
    assert prompt_language("Tu es un pirate grincheux. Parle avec l'utilisateur.") == "fr"
    assert prompt_language("Réponds uniquement en français.") == "fr"


@pytest.mark.parametrize(
    ("prompt", "name", "description"),
    [
        ("You are Captain Flint, a grumpy pirate.", "Captain Flint", "a grumpy pirate"),
        (
            "Your name is Ada. You are a patient teacher who loves your students.",
            "Ada",
            "a patient teacher who loves my students",
        ),
        ("You're a cheerful baker.", None, "a cheerful baker"),
        ("You are a helpful assistant.", None, None),
        ("You are a friend who helps you relax.", None, None),
        ("Tu t'appelles Margot. Tu es une fleuriste bavarde.", "Margot", "une fleuriste bavarde"),
    ],
)
def test_persona_name_and_description(
    prompt: str, name: str | None, description: str | None
) -> None:
    persona = persona_of(full_prompt(prompt))
    assert (persona.name, persona.description) == (name, description)


# --- The backend's own prompts --------------------------------------------------------

BACKEND_CHARACTERS: list[tuple[Instructions, Character]] = [
    (ConstantInstructions(text="You are Nova, a cheerful lighthouse keeper."), Character.CONSTANT),
    (SmalltalkInstructions(), Character.SMALLTALK),
    (GuessAnimalInstructions(), Character.GUESS_ANIMAL),
    (QuizShowInstructions(), Character.QUIZ_SHOW),
    (NewsInstructions(), Character.NEWS),
    (UnmuteExplanationInstructions(), Character.UNMUTE_EXPLANATION),
]


@pytest.mark.parametrize(("instructions", "character"), BACKEND_CHARACTERS)
@pytest.mark.parametrize("seed", range(12))  # every hidden animal and most quiz themes
def test_detects_every_character_of_the_backends_prompts(
    instructions: Instructions, character: Character, seed: int
) -> None:
    prompt = system_prompt(instructions, now=datetime(2025, 6, 1, 12), secret_seed=seed)
    assert detect_character(prompt) is character


@pytest.mark.parametrize(
    ("language", "expected"),
    [("en", "en"), ("fr", "fr"), ("en/fr", "en"), ("fr/en", "fr"), (None, "en")],
)
def test_reads_the_language_of_the_backends_prompts(
    language: Language | None, expected: str
) -> None:
    prompt = system_prompt(SmalltalkInstructions(language=language), now=datetime(2025, 6, 1))
    assert prompt_language(prompt) == expected


def test_the_backends_hidden_animal_is_the_one_to_guess() -> None:
    for seed in range(40):
        prompt = system_prompt(
            GuessAnimalInstructions(), now=datetime(2025, 6, 1), secret_seed=seed
        )
        hidden = re.search(r"thinking of an animal: the (\w+)", prompt)
        assert hidden is not None
        assert secret_animal(prompt, 0).bare_name["en"] == hidden.group(1)
