"""The history sent to the LLM stays within its budget, however long the call."""

from __future__ import annotations

import itertools
import random

import pytest

from backend.conversation import rules
from backend.conversation.history import History
from backend.conversation.limits import MIN_LLM_HISTORY_CHARS, ConversationLimits
from backend.conversation.machine import Conversation
from backend.conversation.signals import StartReply, SttWord, Tick
from tests.unit.conversation_script import Script, is_goodbye

SPEECH = 0.05
SILENCE = 0.95
PROMPT = "You are a patient listener. " * 40  # a long system prompt: never cut


def turns_chars(messages: list[dict[str, str]]) -> int:
    return sum(len(m["content"]) for m in messages[1:])


def check_shape(messages: list[dict[str, str]]) -> None:
    """System first, then user and assistant alternating, user first and last."""
    assert messages[0] == {"role": "system", "content": PROMPT}
    roles = [m["role"] for m in messages[1:]]
    assert roles[0] == "user" and roles[-1] == "user", roles
    assert all(a != b for a, b in itertools.pairwise(roles)), roles


def history(*turns: tuple[str, str]) -> History:
    h = History()
    h.set_system_prompt(PROMPT)
    for role, text in turns:
        if role == "user":
            for word in text.split():
                h.add_user_word(word)
        else:
            h.start_assistant()
            h.finish_assistant(text)
    return h


def test_a_short_history_is_sent_whole() -> None:
    h = history(("user", "hi"), ("assistant", "Hello!"), ("user", "how are you"))
    assert h.for_llm(1000)[1:] == [
        {"role": "user", "content": "hi"},
        {"role": "assistant", "content": "Hello!"},
        {"role": "user", "content": "how are you"},
    ]


def test_the_greeting_stays_in_the_conversation_asked_as_it_was() -> None:
    """The bot greets first: later requests keep its greeting after the same user turn it
    was asked with, so each prompt starts as the one before did (a prompt cache reuses it)."""
    h = History()
    h.set_system_prompt(PROMPT)
    asked = h.for_llm(1000)
    h.start_assistant()
    h.finish_assistant("Hi, I am Robin.")
    for word in ["what", "is", "your", "name"]:
        h.add_user_word(word)
    sent = h.for_llm(1000)
    check_shape(sent)
    assert sent[: len(asked)] == asked
    assert sent[len(asked) :] == [
        {"role": "assistant", "content": "Hi, I am Robin."},
        {"role": "user", "content": "what is your name"},
    ]
    # With no room for the stand-in user turn as well, the greeting goes, not the question.
    assert h.for_llm(len("Hi, I am Robin.what is your name"))[1:] == [
        {"role": "user", "content": "what is your name"}
    ]


def test_the_oldest_turns_are_dropped_and_the_user_speaks_first() -> None:
    h = history(
        ("user", "one " * 30),
        ("assistant", "two " * 30),
        ("user", "three " * 10),
        ("assistant", "four " * 10),
        ("user", "five"),
    )
    sent = h.for_llm(130)  # room for the last three turns, not for "two"
    check_shape(sent)
    assert [m["content"].split()[0] for m in sent[1:]] == ["three", "four", "five"]
    sent = h.for_llm(80)  # "four" and "five" fit, but an assistant turn cannot come first
    assert [m["content"] for m in sent[1:]] == ["five"]


def test_a_monologue_longer_than_the_budget_keeps_its_end() -> None:
    words = [f"w{i}" for i in range(100)]
    h = history(("assistant", "Hi!"), ("user", " ".join(words)))
    sent = h.for_llm(50)
    assert turns_chars(sent) <= 50
    (turn,) = sent[1:]
    assert turn["content"].endswith("w98 w99")
    assert turn["content"].split()[0] in words, "cut where a word starts"


def test_the_greeting_fits_in_the_budget_too() -> None:
    h = History()
    h.set_system_prompt(PROMPT)
    h.start_assistant()
    h.finish_assistant("A greeting that rambles on " * 20)
    sent = h.for_llm(MIN_LLM_HISTORY_CHARS)
    assert sent[1] == {"role": "user", "content": rules.GREETING_USER_TURN}
    assert sent[2]["role"] == "assistant"
    assert turns_chars(sent) <= MIN_LLM_HISTORY_CHARS


def test_the_budget_has_a_floor() -> None:
    with pytest.raises(ValueError, match="llm_history_chars"):
        ConversationLimits(llm_history_chars=MIN_LLM_HISTORY_CHARS - 1)


def test_a_two_hour_call_keeps_every_llm_request_within_budget() -> None:
    """Two hours on scripted time: questions of every length, long answers, barge-ins and
    silences. Every request carries the system prompt and the newest turns, within budget."""
    budget = 2000
    limits = ConversationLimits(
        idle_close_s=60.0, max_conversation_s=3 * 3600.0, llm_history_chars=budget
    )
    s = Script(conversation=Conversation(is_goodbye, limits))
    s.start(prompt=PROMPT)
    s.reply("Hello, what shall we talk about today?")
    chooser = random.Random(7)
    said: list[str] = []
    barged_in: list[str] = []  # a word that cut the bot off starts the user's next turn
    while s.t < 2 * 3600.0:
        words = [f"q{len(said)}w{i}" for i in range(chooser.choice([1, 3, 8, 40]))]
        said.append(" ".join(barged_in + words))
        barged_in = []
        s.frames(3 * len(words), SPEECH, {3 * i: word for i, word in enumerate(words)})
        s.frames(3, SILENCE)
        s.feed(Tick(s.t + rules.FLUSH_TIMEOUT_S))
        (start,) = [a for a in s.actions[-8:] if isinstance(a, StartReply)]
        assert start.messages[-1] == {"role": "user", "content": said[-1]}
        if chooser.random() < 0.2:  # the user cuts the bot off
            s.reply("Well, let me tell you at length " * 3, finish=False)
            s.feed(SttWord(s.t, "stop", s.t))
            barged_in = ["stop"]
        else:
            s.reply(f"Answer to question {len(said)}: " + "and so on " * chooser.randint(1, 30))
        if barged_in:
            continue
        if chooser.random() < 0.1:  # a silence long enough for a prompt
            s.frames(int(rules.SILENCE_PROMPT_AFTER_S / 0.08) + 2, SILENCE)
            s.reply("Are you still there?")
            said.append(rules.SILENCE_MARKER)
        s.frames(chooser.randint(100, 250), SPEECH)  # the user thinks aloud, no words
    requests = [a.messages for a in s.actions if isinstance(a, StartReply)]
    assert len(requests) > 300, "a long call"
    assert turns_chars(requests[-1]) > budget / 2, "the budget is used, not wasted"
    for messages in requests[1:]:
        check_shape(messages)
        assert turns_chars(messages) <= budget
    heard = s.conversation.history.without_system()
    assert sum(len(m["content"]) for m in heard) > 40 * budget, "far more than the budget"
