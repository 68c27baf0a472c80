"""The stand-in's conversational behaviour: openings, small talk, silence, goodbyes."""

from __future__ import annotations

import re
from datetime import datetime

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from backend.characters.prompts import is_goodbye, system_prompt
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
from embedded.llm.dialogue import ChatMessage
from embedded.llm.language import looks_french
from embedded.llm.responder import respond

# Shared by every character prompt, in the spirit of the backend's: it mentions
# speech-to-text, the LLM, text-to-speech, French and Unmute without being any character.
BOILERPLATE = """
You are talking with a person by voice; what they say reaches you through speech-to-text.
Keep replies short and speakable: no lists, no emojis. Answer in the user's language.
{language}
About yourself: you are part of Unmute, which wraps a text LLM with speech-to-text and
text-to-speech. Both speech models come from Kyutai.
If the user says "...", they have been quiet for a while: check whether they are still there.
When the user says goodbye, say goodbye too and finish your message with "Bye!".
{instructions}
"""
ENGLISH = "Speak English. You know a little French too."
FRENCH = "Speak French. You know a little English too."


def prompt(instructions: str, language: str = ENGLISH) -> str:
    return BOILERPLATE.format(language=language, instructions=instructions)


SMALLTALK = prompt("Make small talk: greet the user and start a light conversation.")
PIRATE = prompt("You are Captain Flint, a grumpy pirate who misses your ship.")
NEWS = prompt("Talk about the news with the user. No news feed is available today: say so.")
EXPLAIN = prompt("Explain to the user what Unmute is and how it works; answer questions.")


def converse(system: str, user_turns: list[str], *, temperature: float = 0.0) -> list[str]:
    """Plays a conversation the way the backend does; returns every bot reply."""
    history = [ChatMessage("system", system), ChatMessage("user", "Hello!")]
    replies = [respond(history, temperature=temperature)]
    history.append(ChatMessage("assistant", replies[-1]))
    for text in user_turns:
        history.append(ChatMessage("user", text))
        replies.append(respond(history, temperature=temperature))
        history.append(ChatMessage("assistant", replies[-1]))
    return replies


def last_reply(system: str, user_turns: list[str], **kwargs: float) -> str:
    return converse(system, user_turns, **kwargs)[-1]


# --- Openings -----------------------------------------------------------------------


def test_greets_first_when_the_history_has_only_the_system_prompt() -> None:
    reply = respond([ChatMessage("system", SMALLTALK)], temperature=0.0)
    assert reply.startswith(("Hey", "Hi", "Hello"))
    assert reply.endswith("?")


def test_greets_first_with_no_messages_but_the_backends_stock_greeting() -> None:
    reply = respond([ChatMessage("user", "Hello!")], temperature=0.0)
    assert reply.startswith(("Hey", "Hi", "Hello"))


def test_a_persona_introduces_itself_by_name_and_description() -> None:
    opening = converse(PIRATE, [])[0]
    assert "Captain Flint" in opening
    assert "grumpy pirate who misses my ship" in opening
    assert "Captain Flint" in last_reply(PIRATE, ["What's your name?"])


def test_news_opening_admits_there_is_no_live_news() -> None:
    opening = converse(NEWS, [])[0]
    assert "news" in opening.lower()
    assert "don't have" in opening or "no live news" in opening
    assert "live" in last_reply(NEWS, ["What are today's headlines?"])


def test_explanation_character_explains_unmute_step_by_step() -> None:
    replies = converse(EXPLAIN, ["Yes please", "How fast is it?", "Tell me more"])
    assert "Unmute" in replies[0]
    assert "speech-to-text" in replies[1]  # how it works: the pipeline
    assert "milliseconds" in replies[2]  # asked about speed
    assert replies[3] not in replies[:3]  # something new each time


def test_a_user_who_speaks_first_gets_an_answer_not_a_canned_greeting() -> None:
    reply = respond(
        [ChatMessage("system", SMALLTALK), ChatMessage("user", "What is two plus three?")],
        temperature=0.0,
    )
    assert "5" in reply


# --- Small talk ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("said", "expected"),
    [
        ("Hi, how are you?", "How about you?"),
        ("Can you hear me?", "hear you"),
        ("What's your name?", "call me Unmute"),
        ("What time is it?", "clock"),
        ("Thank you!", "welcome"),
        ("My name is Alice.", "Nice to meet you, Alice"),
        ("I'm so tired today.", "sorry to hear"),
        ("Pretty good, thanks.", "Glad to hear it"),
        ("What's the capital of Italy?", "Rome"),
        ("What is 7 times 6?", "42"),
        ("What's your favorite color?", "blue"),
        ("I love hiking in the mountains", "you like hiking in the mountains"),
        ("Why is the sky so far away?", "good question"),
    ],
)
def test_answers_what_the_user_said(said: str, expected: str) -> None:
    assert expected.lower() in last_reply(SMALLTALK, [said]).lower()


def test_tells_a_different_joke_each_time() -> None:
    replies = converse(SMALLTALK, ["Tell me a joke", "Another joke please"])
    assert "?" in replies[1]  # a joke is a question and its punchline
    assert replies[1] != replies[2]


def test_yes_and_no_are_acknowledged_and_the_conversation_goes_on() -> None:
    assert last_reply(SMALLTALK, ["Yes"]).endswith("?")
    assert last_reply(SMALLTALK, ["No, not really."]).endswith("?")


def test_an_unknown_statement_is_reflected_back_with_its_topic() -> None:
    assert "gardening" in last_reply(SMALLTALK, ["Gardening took all my afternoon"])


# --- Silence and goodbye --------------------------------------------------------------


def test_silence_checks_on_the_user_then_stops_insisting() -> None:
    replies = converse(SMALLTALK, ["...", "...", "...", "..."])
    assert "still there" in replies[1]
    assert replies[2] != replies[1] and "still there" not in replies[2]
    assert "here if you need anything" in replies[3]
    assert not any(reply.endswith("Bye!") for reply in replies)


def test_speaking_again_after_a_silence_resets_the_count() -> None:
    replies = converse(SMALLTALK, ["...", "Sorry, I'm back", "..."])
    assert "still there" in replies[3]


def test_text_after_a_merged_silence_marker_is_what_the_user_said() -> None:
    reply = respond(
        [
            ChatMessage("system", SMALLTALK),
            ChatMessage("user", "Hello!"),
            ChatMessage("assistant", "Hi! How is your day going?"),
            ChatMessage("user", "... what is two plus two?"),
        ],
        temperature=0.0,
    )
    assert "4" in reply


@pytest.mark.parametrize(
    "farewell", ["Bye", "Goodbye!", "OK, see you later.", "Au revoir", "I have to go now, bye"]
)
@pytest.mark.parametrize("system", [SMALLTALK, PIRATE, NEWS, EXPLAIN])
def test_a_goodbye_is_answered_briefly_and_ends_with_bye(farewell: str, system: str) -> None:
    reply = last_reply(system, ["I like cats", farewell])
    assert reply.endswith("Bye!")
    assert len(reply.split()) <= 15


def test_nice_to_see_you_is_not_a_goodbye() -> None:
    assert not last_reply(SMALLTALK, ["Nice to see you"]).endswith("Bye!")


# --- Language -------------------------------------------------------------------------


def test_a_french_prompt_gets_french_replies() -> None:
    replies = converse(
        prompt("Fais la causette avec l'utilisateur.", FRENCH), ["Quelle heure est-il ?"]
    )
    assert "Salut" in replies[0] or "Bonjour" in replies[0] or "Coucou" in replies[0]
    assert "horloge" in replies[1] or "heure" in replies[1]


def test_the_user_speaking_french_gets_french_back_in_an_english_session() -> None:
    replies = converse(SMALLTALK, ["Bonjour, comment ça va ?", "Merci, au revoir"])
    assert "merci" in replies[1].lower()
    assert replies[2].endswith("Bye!")
    assert "toi" in replies[2]


def test_the_backends_stock_english_greeting_does_not_switch_a_french_session() -> None:
    opening = converse(prompt("Papote avec l'utilisateur.", FRENCH), [])[0]
    assert "Salut" in opening or "Bonjour" in opening or "Coucou" in opening


# --- Determinism and variety ----------------------------------------------------------


def test_same_history_same_reply_at_any_temperature() -> None:
    turns = ["I went to the beach", "It was sunny", "What's your favorite food?"]
    assert converse(SMALLTALK, turns, temperature=0.9) == converse(
        SMALLTALK, turns, temperature=0.9
    )


def test_temperature_zero_always_picks_the_first_phrasing() -> None:
    openings = {converse(prompt(f"Small talk, session {n}."), [])[0] for n in range(10)}
    assert openings == {"Hey there, nice to hear from you! How's your day going so far?"}


def test_a_positive_temperature_varies_the_phrasing_across_histories() -> None:
    openings = {
        converse(prompt(f"Small talk, session {n}."), [], temperature=0.7)[0] for n in range(20)
    }
    assert len(openings) > 1


def test_the_request_seed_changes_the_phrasing() -> None:
    history = [ChatMessage("system", SMALLTALK)]
    replies = {respond(history, temperature=1.0, seed=seed) for seed in range(20)}
    assert len(replies) > 1


# --- Robustness -----------------------------------------------------------------------

_MARKDOWN = re.compile(r"[*#_`\[\]]|^\s*[-•]", re.MULTILINE)


@settings(max_examples=150, deadline=None)
@given(
    system=st.sampled_from([SMALLTALK, PIRATE, NEWS, EXPLAIN]),
    said=st.lists(st.text(max_size=60), min_size=1, max_size=4),
    temperature=st.sampled_from([0.0, 0.7]),
)
def test_any_user_text_gets_a_short_plain_spoken_reply(
    system: str, said: list[str], temperature: float
) -> None:
    reply = last_reply(system, said, temperature=temperature)
    assert reply.strip()
    assert not _MARKDOWN.search(reply)
    assert len(reply.split()) < 80


# --- With the backend's own prompts and goodbye detector ------------------------------


def backend_prompt(instructions: Instructions) -> str:
    return system_prompt(instructions, now=datetime(2025, 6, 1, 12), secret_seed=7)


@pytest.mark.parametrize(
    "instructions",
    [
        ConstantInstructions(text="You are Nova, a cheerful lighthouse keeper."),
        SmalltalkInstructions(),
        GuessAnimalInstructions(),
        QuizShowInstructions(),
        NewsInstructions(),
        UnmuteExplanationInstructions(),
    ],
)
def test_the_backend_recognises_the_goodbye_and_nothing_else(instructions: Instructions) -> None:
    replies = converse(
        backend_prompt(instructions),
        ["Hello, can you hear me?", "Is it big?", "...", "Thanks!", "OK, bye!"],
        temperature=0.7,
    )
    assert [is_goodbye(reply) for reply in replies] == [False] * 5 + [True]


@pytest.mark.parametrize("language", ["fr", "fr/en"])
def test_french_sessions_of_the_backend_open_in_french(language: Language) -> None:
    opening = converse(backend_prompt(SmalltalkInstructions(language=language)), [])[0]
    assert looks_french(opening)
