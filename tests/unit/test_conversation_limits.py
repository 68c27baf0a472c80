"""When the conversation core ends a call: nobody there, or the time limit, on scripted time."""

from __future__ import annotations

import pytest

from backend.conversation import rules
from backend.conversation.limits import ConversationLimits
from backend.conversation.machine import Conversation, Phase
from backend.conversation.signals import (
    Action,
    Close,
    Emit,
    PlaybackFinished,
    SessionConfigured,
    Tick,
    UserAudio,
)
from backend.realtime import public_errors
from tests.unit.conversation_script import Script, event_types, is_goodbye, starts

SPEECH = 0.05
SILENCE = 0.95
IDLE_CLOSE_S = 20.0
PROMPT_FRAMES = int(rules.SILENCE_PROMPT_AFTER_S / 0.08) + 2


def script(idle_close_s: float = IDLE_CLOSE_S, max_conversation_s: float = 3600.0) -> Script:
    limits = ConversationLimits(idle_close_s=idle_close_s, max_conversation_s=max_conversation_s)
    return Script(conversation=Conversation(is_goodbye, limits))


def greeted(s: Script) -> Script:
    s.start()
    s.frames(50, SILENCE)
    s.reply("Hello there, how are you?")
    return s


def closes(actions: list[Action]) -> list[Close]:
    return [a for a in actions if isinstance(a, Close)]


def assert_closed_because(actions: list[Action], why: public_errors.PublicError) -> None:
    """A `warning` with the reason's code, then a normal close with its sentence."""
    assert event_types(actions)[-1] == "error"
    warning = [a for a in actions if isinstance(a, Emit)][-1].event
    assert warning.error.type == "warning"  # type: ignore[union-attr]
    assert warning.error.code == why.code  # type: ignore[union-attr]
    assert actions[-1] == Close(1000, why.message)


def unanswered_prompts(s: Script) -> None:
    for _ in range(rules.MAX_SILENCE_PROMPTS):
        out = s.frames(PROMPT_FRAMES, SILENCE)
        assert len(starts(out)) == 1
        s.reply("Are you still there?")


# --- nobody there -------------------------------------------------------------------------


def test_a_call_whose_silence_prompts_go_unanswered_is_closed_as_idle() -> None:
    s = greeted(script())
    unanswered_prompts(s)
    quiet = s.frames(int(IDLE_CLOSE_S / 0.08) - 2, SILENCE)
    assert closes(quiet) == [], "not before the idle time has passed"
    out = s.frames(3, SILENCE)
    assert_closed_because(out, public_errors.SESSION_IDLE)
    assert s.conversation.phase is Phase.CLOSED
    assert s.frames(5, SPEECH, {0: "late"}) == [], "nothing happens after the close"


def test_the_idle_clock_waits_for_the_silence_prompts() -> None:
    s = greeted(script(idle_close_s=1.0))
    out = s.frames(PROMPT_FRAMES, SILENCE)  # well past the idle time, but a prompt is due
    assert closes(out) == [] and len(starts(out)) == 1


def test_a_user_who_speaks_again_keeps_the_call_open() -> None:
    s = greeted(script())
    unanswered_prompts(s)
    s.frames(int(IDLE_CLOSE_S / 0.08) - 20, SILENCE)
    s.frames(6, SPEECH, {0: "sorry", 3: "here"})  # the user is back, just in time
    out = s.frames(5, SILENCE)
    assert closes(out) == []
    assert len(starts(out + s.frames(20, SILENCE))) == 1, "and is answered"


def test_sound_without_words_counts_as_someone_there() -> None:
    s = greeted(script())
    unanswered_prompts(s)
    for _ in range(3):  # noise every so often, never a word
        s.frames(int(IDLE_CLOSE_S / 0.08) - 10, SILENCE)
        s.frames(2, SPEECH)
    assert closes(s.actions) == []


def test_a_client_that_never_starts_the_call_is_closed_as_idle() -> None:
    s = script()
    s.feed(SessionConfigured(0.0, "p", "v"))  # a session, but never any audio
    assert s.feed(Tick(IDLE_CLOSE_S - 0.1)) == []
    assert_closed_because(s.feed(Tick(IDLE_CLOSE_S)), public_errors.SESSION_IDLE)


def test_a_client_that_sends_only_audio_is_closed_as_idle() -> None:
    s = script()
    s.frames(int(IDLE_CLOSE_S / 0.08) + 2, SILENCE)  # audio, but never a session.update
    assert_closed_because(s.actions, public_errors.SESSION_IDLE)


def test_the_idle_clock_does_not_run_while_the_bot_speaks() -> None:
    s = script(idle_close_s=1.0)
    s.start()
    s.frames(100, SILENCE)  # an 8 s greeting still playing
    assert closes(s.actions) == []


# --- the time limit -----------------------------------------------------------------------


def test_at_the_time_limit_a_listening_call_closes() -> None:
    s = greeted(script(max_conversation_s=30.0))
    s.frames(int((30.0 - s.t) / 0.08) - 1, SPEECH)  # the user talks on, no words yet
    assert closes(s.actions) == []
    out = s.frames(2, SPEECH)
    assert_closed_because(out, public_errors.SESSION_TIME_LIMIT)


def test_at_the_time_limit_the_reply_being_spoken_is_heard_to_its_end() -> None:
    s = script(max_conversation_s=10.0)
    s.start()
    rid = s.conversation.response_id
    s.frames(150, SILENCE)  # a 12 s greeting: the limit passes while it plays
    assert closes(s.actions) == []
    out = s.feed(PlaybackFinished(s.t, rid))
    assert event_types(out)[:2] == ["unmute.additional_outputs", "response.audio.done"]
    assert_closed_because(out, public_errors.SESSION_TIME_LIMIT)


def test_at_the_time_limit_no_new_reply_starts() -> None:
    s = greeted(script(max_conversation_s=10.0))
    s.frames(int((10.0 - s.t) / 0.08) - 8, SPEECH, {0: "one", 3: "more", 6: "question"})
    out = s.frames(12, SILENCE)  # the turn ends after the limit
    assert starts(out) == []
    assert_closed_because(out, public_errors.SESSION_TIME_LIMIT)


def test_the_time_limit_counts_from_the_first_input() -> None:
    s = script(max_conversation_s=5.0)
    s.t = 1000.0  # a monotonic clock starts anywhere
    s.start()
    s.frames(30, SILENCE)
    assert closes(s.actions) == []


def test_limits_must_be_positive() -> None:
    with pytest.raises(ValueError, match="positive"):
        ConversationLimits(idle_close_s=0.0)
    with pytest.raises(ValueError, match="positive"):
        ConversationLimits(max_conversation_s=-1.0)


def test_a_goodbye_at_the_time_limit_closes_once() -> None:
    s = script(max_conversation_s=10.0)
    s.start()
    s.frames(150, SILENCE)
    out = s.reply("Time flies. Bye!")
    assert closes(out) == [Close(1000, "goodbye")]
    assert s.feed(UserAudio(s.t, 1920)) == []
