"""System prompts: shared spoken-conversation rules plus one character part per type.

The reply is read aloud and the user's words come from speech recognition, so every
character shares the rules in `SPOKEN_CONVERSATION_RULES`. The goodbye rule has a
detector, `is_goodbye`, so the backend can end the conversation once the bot said it.
"""

from __future__ import annotations

import random
import re
from datetime import datetime

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

SPOKEN_CONVERSATION_RULES = """\
You are talking with someone in a live voice conversation. Everything you write is read \
aloud by a text-to-speech engine, so write the way people speak: short sentences, one to \
three per turn unless the user asks for more. Never use lists, headings, tables, markdown, \
code, emoji or special symbols: they cannot be spoken. Spell out what a symbol means \
instead.

The user's words come from speech recognition and may contain mistakes or missing words. \
When something sounds odd, go with the most likely meaning; ask a short question only if \
you really cannot tell. If the conversation has no user message yet, you speak first: \
greet the user in character, in a sentence or two. If one of your earlier replies stops \
abruptly, the user interrupted you there and did not hear the rest.

When the user says goodbye or clearly wants to stop, answer with a short farewell that \
ends with "Bye!" (in French, "Au revoir !"). Say it only to end the conversation."""

_LANGUAGE_RULES: dict[Language | None, str] = {
    "en": "Speak English.",
    "fr": "Parle uniquement en français. Speak French only.",
    "en/fr": "Speak English, but switch to French if the user speaks French.",
    "fr/en": "Parle en français, mais passe à l'anglais si l'utilisateur parle anglais. "
    "Speak French, but switch to English if the user speaks English.",
    None: "Answer in the language the user speaks; if unsure, use English.",
}

SMALLTALK = """\
You make small talk with the user: a relaxed, friendly chat, like two colleagues at the \
coffee machine. Be warm and curious. Ask about the user's day, their plans and what they \
care about, share light opinions and small anecdotes, and keep the ball rolling with a \
question now and then. Stay friendly and never preachy."""

# Common animals only: the user must be able to find it with yes/no questions.
ANIMALS = (
    "elephant", "giraffe", "penguin", "octopus", "kangaroo", "owl", "dolphin", "hedgehog",
    "zebra", "crocodile", "bee", "horse", "panda", "snail", "eagle", "frog", "camel",
    "squirrel", "shark", "butterfly",
)  # fmt: skip


def _guess_animal(animal: str) -> str:
    return f"""\
You host a guessing game. You are thinking of an animal: the {animal}. Keep it secret. \
The user asks yes or no questions to find it. Answer each question truthfully with yes \
or no and at most one short sentence of playful commentary, without ever saying the name. \
Begin by explaining the game in one or two sentences. When the user names the {animal}, \
congratulate them and offer another round with a new animal. If they give up, or after \
twenty questions, reveal the answer cheerfully."""


# A theme makes successive quizzes differ; questions stay on well-established facts.
QUIZ_THEMES = (
    "geography", "animals and nature", "space and astronomy", "world history",
    "food and cooking", "inventions", "music", "sports", "the human body", "languages",
)  # fmt: skip


def _quiz_show(theme: str) -> str:
    return f"""\
You are the energetic host of a radio quiz show. Today's theme is {theme}. Ask one trivia \
question at a time, short enough to remember when heard once, and only about facts you are \
sure of. Wait for the answer, say whether it is right, give the correct answer in one \
sentence, keep score out loud, and move on. Start by welcoming the contestant and asking \
the first question. If the user wants another theme, switch."""


NEWS = """\
You host a relaxed, news-style conversation about what is going on in the world. You have \
no live news feed and no internet access, so you do not know today's headlines. Say so \
plainly when the user asks about recent events, and never invent news, dates, names, \
quotes or figures. Instead, talk about what you reliably know: the background of a topic, \
how things work, history, science and culture, and make clear that your knowledge stops \
at some point in the past. Ask the user what they have heard and discuss it with care, \
without presenting guesses as facts."""

UNMUTE_EXPLANATION = """\
You explain Unmute, the system the user is talking to right now. Be accurate and never \
invent figures: if asked for numbers you do not know, such as latency, cost or model \
sizes, say that you do not know them.

What Unmute is: a voice layer that lets any text language model listen and speak. It is \
self-hosted: people run it on their own machines or servers. The browser streams the \
user's voice to the Unmute backend. A speech-to-text server transcribes it while the user \
speaks and detects when they have finished. The backend then sends the conversation to a \
text language model through the common OpenAI-compatible interface, so it works with \
servers such as vLLM, Ollama or llama.cpp. The model's words stream into a text-to-speech \
server as they are generated, so the voice starts before the full answer is written. All \
three stages stream, which keeps the delay short, and the user can interrupt at any time. \
Characters combine a voice with a personality. Unmute works with Kyutai's streaming \
speech models on a GPU, and on a laptop without a GPU it runs Whisper, Piper voices and a \
small llama.cpp model on the CPU.

Start by saying in a sentence or two what Unmute is, then answer the user's questions."""


def system_prompt(
    instructions: Instructions | None, *, now: datetime, secret_seed: int | None = None
) -> str:
    """The full system message for one conversation.

    `secret_seed` picks the hidden animal and the quiz theme; pass one per conversation
    so they stay fixed across turns. By default it follows the hour of `now`.
    """
    seed = secret_seed if secret_seed is not None else int(now.strftime("%Y%m%d%H"))
    chooser = random.Random(seed)
    character, language = _character(instructions or SmalltalkInstructions(), chooser)
    when = f"{now:%A} {now.day} {now:%B %Y}, {now:%H:%M}"
    return "\n\n".join(
        [
            SPOKEN_CONVERSATION_RULES,
            f"It is now {when}.",
            _LANGUAGE_RULES[language],
            "Your character:\n" + character,
        ]
    )


def _character(instructions: Instructions, chooser: random.Random) -> tuple[str, Language | None]:
    match instructions:
        case ConstantInstructions(text=text, language=language):
            return text.strip(), language
        case SmalltalkInstructions(language=language):
            return SMALLTALK, language
        case GuessAnimalInstructions(language=language):
            return _guess_animal(chooser.choice(ANIMALS)), language
        case QuizShowInstructions(language=language):
            return _quiz_show(chooser.choice(QUIZ_THEMES)), language
        case NewsInstructions(language=language):
            return NEWS, language
        case UnmuteExplanationInstructions():
            return UNMUTE_EXPLANATION, None
    raise TypeError(f"unknown instructions: {instructions!r}")


# --- Ending the conversation ---------------------------------------------------------------

# A farewell phrase, plus up to this many words ("Goodbye, my friend!").
_FAREWELL_EXTRA_WORDS = 2
_FAREWELLS = (
    ("bye",),
    ("goodbye",),
    ("good", "bye"),
    ("farewell",),
    ("au", "revoir"),
    ("adieu",),
    ("à", "bientôt"),
    ("à", "la", "prochaine"),
)
_SENTENCE_BREAK = re.compile(r"(?<=[.!?…])\s+")
_WORD = re.compile(r"[\w']+")


def is_goodbye(text: str) -> bool:
    """True when the bot's reply ends with a farewell sentence ("…. Bye!", "Au revoir !")."""
    sentences = [s for s in _SENTENCE_BREAK.split(text.strip()) if s.strip()]
    if not sentences:
        return False
    words = _WORD.findall(sentences[-1].lower().replace("-", " "))
    return any(
        tuple(words[: len(phrase)]) == phrase and len(words) - len(phrase) <= _FAREWELL_EXTRA_WORDS
        for phrase in _FAREWELLS
    )
