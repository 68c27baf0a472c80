"""While the bot replies, time alone changes nothing in the conversation core: the session
adapter stops ticking then (`ConversationRunner._tick`) and starts again when an input
ends the reply. Scripted timelines with limits that would all be due if ticks counted."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from backend.conversation import rules
from backend.conversation.limits import ConversationLimits
from backend.conversation.machine import Conversation, Phase
from backend.conversation.signals import LlmFailed, PlaybackFinished, Tick, TtsFailed
from tests.unit.conversation_script import Script, event_types, is_goodbye

SPEECH = 0.05
SILENCE = 0.95
LATER_S = (0.1, rules.FLUSH_TIMEOUT_S, rules.SILENCE_PROMPT_AFTER_S + 1, 60.0, 10_000.0)


def short_limits() -> Script:
    limits = ConversationLimits(idle_close_s=1.0, max_conversation_s=20.0)
    return Script(conversation=Conversation(is_goodbye, limits))


def greeting(s: Script) -> None:
    s.start()
    s.frames(2, SILENCE)
    s.llm_writes("Hello there")


def answering_the_user(s: Script) -> None:
    s.start()
    s.frames(50, SILENCE)
    s.reply("Hello there, how are you?")
    s.frames(3, SPEECH, {0: "tell", 1: "me", 2: "more"})
    s.frames(2, SILENCE)
    s.feed(Tick(s.t + rules.FLUSH_TIMEOUT_S))
    s.llm_writes("Once upon a time", done=True)
    s.hear("Once")


def after_the_llm_failed(s: Script) -> None:
    greeting(s)
    s.feed(LlmFailed(s.t, s.conversation.response_id))


def after_the_tts_failed(s: Script) -> None:
    greeting(s)
    s.feed(TtsFailed(s.t, s.conversation.response_id))


@pytest.mark.parametrize(
    "reach", [greeting, answering_the_user, after_the_llm_failed, after_the_tts_failed]
)
def test_no_tick_does_anything_while_a_reply_plays(reach: Callable[[Script], None]) -> None:
    s = short_limits()
    reach(s)
    assert s.conversation.phase is Phase.REPLYING
    for later in LATER_S:
        assert s.feed(Tick(s.t + later)) == []
        assert s.conversation.phase is Phase.REPLYING


def test_once_the_reply_has_played_the_limits_passed_meanwhile_act_on_the_next_tick() -> None:
    s = short_limits()
    greeting(s)
    s.feed(Tick(s.t + 30.0))  # past the call's time limit: nothing while the bot speaks
    out = s.feed(PlaybackFinished(s.t + 30.0, s.conversation.response_id))
    assert s.conversation.phase is Phase.CLOSED
    assert event_types(out)[-1] == "error", "the time limit is said once the reply is heard"
