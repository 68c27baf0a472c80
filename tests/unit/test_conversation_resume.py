"""A conversation resumed on a new connection: seeded with the turns the client kept, it
listens instead of greeting, and the LLM sees the earlier turns on the next reply."""

from __future__ import annotations

from backend.conversation import rules
from backend.conversation.history import Message
from backend.conversation.limits import ConversationLimits
from backend.conversation.machine import Conversation, Phase
from backend.conversation.signals import Action, Emit, SessionConfigured, UserAudio
from tests.unit.conversation_script import Script, event_types, is_goodbye, starts

SPEECH = 0.05
SILENCE = 0.95
EARLIER = (
    Message("assistant", "Hi, I'm Watercooler."),
    Message("user", "I have a cat called Tom."),
    Message("assistant", "Tom is a fine name for a cat."),
)


def resumed(script: Script, turns: tuple[Message, ...] = EARLIER) -> list[Action]:
    out = script.feed(SessionConfigured(script.t, "You are nice.", "v1", turns))
    return [*out, *script.feed(UserAudio(script.t, rules.STT_FRAME_SAMPLES))]


def test_a_resumed_conversation_listens_instead_of_greeting() -> None:
    s = Script()
    assert starts(resumed(s)) == []
    assert s.conversation.phase is Phase.LISTENING
    out = s.frames(3, SILENCE)
    assert "response.created" not in event_types(out)


def test_the_next_reply_carries_the_earlier_turns_at_the_steady_temperature() -> None:
    s = Script()
    resumed(s)
    s.frames(rules.NOISY_STEPS_AT_STREAM_START, SILENCE)
    s.frames(3, SPEECH, {0: "what's", 1: "his", 2: "name?"})
    (start,) = starts(s.frames(20, SILENCE))
    assert start.messages == [
        {"role": "system", "content": "You are nice."},
        # The greeting stays, after the user turn it is asked with in any conversation.
        {"role": "user", "content": rules.GREETING_USER_TURN},
        {"role": "assistant", "content": "Hi, I'm Watercooler."},
        {"role": "user", "content": "I have a cat called Tom."},
        {"role": "assistant", "content": "Tom is a fine name for a cat."},
        {"role": "user", "content": "what's his name?"},
    ]
    assert start.temperature == rules.LATER_REPLY_TEMPERATURE


def test_the_client_gets_the_seeded_history_back_at_once() -> None:
    s = Script()
    resumed(s)
    out = s.frames(1, SILENCE)
    (update,) = [a.event for a in out if isinstance(a, Emit)]
    assert update.type == "unmute.additional_outputs"
    history = update.args.chat_history
    assert [(m.role, m.content) for m in history] == [(m.role, m.content) for m in EARLIER]


def test_the_llm_gets_only_the_newest_earlier_turns_within_its_budget() -> None:
    limits = ConversationLimits(llm_history_chars=200)
    s = Script(conversation=Conversation(is_goodbye, limits))
    long_ago = tuple(
        Message("user" if i % 2 == 0 else "assistant", f"turn {i} " + "x" * 40) for i in range(20)
    )
    resumed(s, long_ago)
    s.frames(rules.NOISY_STEPS_AT_STREAM_START, SILENCE)
    s.frames(2, SPEECH, {0: "and", 1: "now?"})
    (start,) = starts(s.frames(20, SILENCE))
    sent = start.messages[1:]
    assert sum(len(m["content"]) for m in sent) <= 200
    assert sent[0]["role"] == "user" and sent[-1] == {"role": "user", "content": "and now?"}
    assert "turn 19" in sent[-2]["content"]
    kept = s.conversation.history.turns
    assert kept[:20] == list(long_ago), "the history itself keeps every turn"


def test_a_quiet_user_gets_the_silence_prompt_with_the_earlier_turns() -> None:
    s = Script()
    resumed(s)
    frames = int(rules.SILENCE_PROMPT_AFTER_S / 0.08) + 2
    (start,) = starts(s.frames(frames, SILENCE))
    assert start.messages[-2] == {"role": "assistant", "content": EARLIER[-1].content}
    assert start.messages[-1] == {"role": "user", "content": rules.SILENCE_MARKER}


def test_turns_offered_once_the_conversation_started_are_ignored() -> None:
    s = Script()
    s.start()
    s.frames(3, SILENCE)
    s.reply("Hello!")
    s.feed(SessionConfigured(s.t, "You are nice.", "v1", EARLIER))
    assert [m.content for m in s.conversation.history.turns] == ["Hello!"]


def test_without_turns_a_session_greets_as_before() -> None:
    s = Script()
    (start,) = starts(s.start())
    assert start.temperature == rules.FIRST_REPLY_TEMPERATURE
