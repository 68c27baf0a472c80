"""The conversation core when the client drives turns (OpenAI Realtime): no greeting,
push-to-talk commits, replies only when asked, cancellation and tool calls."""

from __future__ import annotations

from backend.conversation import rules
from backend.conversation.machine import Conversation, Phase
from backend.conversation.signals import (
    CancelReply,
    FlushStt,
    LlmDone,
    LlmToolCall,
    ReplyCancelRequested,
    ReplyRequested,
    SpeakWord,
    SttWord,
    Tick,
    ToolCallMade,
    TurnOptionsChanged,
    UserTurnCleared,
    UserTurnCommitted,
    UserTurnFinal,
)
from backend.conversation.turns import API_CLIENT_TURNS, TurnOptions
from tests.unit.conversation_script import Script, event_types, is_goodbye, starts

PUSH_TO_TALK = TurnOptions(
    speaks_first=False,
    detects_turns=False,
    replies_on_turn_end=False,
    interrupts=False,
    checks_on_silence=False,
    ends_on_goodbye=False,
)


def script(turns: TurnOptions) -> Script:
    s = Script(conversation=Conversation(is_goodbye, turns=turns))
    s.start()
    return s


def finals(actions: list[object]) -> list[str]:
    return [a.transcript for a in actions if isinstance(a, UserTurnFinal)]


def test_an_api_client_is_not_greeted_and_the_core_listens_at_once() -> None:
    s = Script(conversation=Conversation(is_goodbye, turns=API_CLIENT_TURNS))
    assert starts(s.start()) == []
    assert s.conversation.phase is Phase.LISTENING
    s.frames(200, pause=0.99)  # 16 s of silence: no silence prompt either
    assert starts(s.actions) == []


def test_server_turn_detection_replies_after_the_final_transcript() -> None:
    s = script(API_CLIENT_TURNS)
    s.frames(20, pause=0.05, words={2: "hello", 5: "there"})
    out = s.frames(20, pause=0.99)
    assert finals(out) == ["hello there"]
    final_at = next(i for i, a in enumerate(out) if isinstance(a, UserTurnFinal))
    start_at = next(i for i, a in enumerate(out) if a in starts(out))
    assert final_at < start_at, "the transcript is complete before the reply starts"


def test_push_to_talk_waits_for_the_commit_and_for_the_request() -> None:
    s = script(PUSH_TO_TALK)
    s.frames(20, pause=0.05, words={2: "tell", 4: "me"})
    s.frames(30, pause=0.99)  # a long pause does not end a push-to-talk turn
    assert starts(s.actions) == [] and finals(s.actions) == []
    out = s.feed(UserTurnCommitted(s.t))
    assert [type(a) for a in out] == [FlushStt], "no speech_stopped: the client ended it"
    out = s.frames(12, pause=0.99, words={1: "more"})  # the STT's delayed last word
    assert finals(out) == ["tell me more"]
    assert starts(out) == [], "a reply only when asked"
    assert s.conversation.phase is Phase.LISTENING
    assert starts(s.feed(ReplyRequested(s.t)))


def test_a_reply_asked_for_during_the_flush_starts_once_the_words_are_in() -> None:
    s = script(PUSH_TO_TALK)
    s.frames(20, pause=0.05, words={2: "hi"})
    s.feed(UserTurnCommitted(s.t))
    assert s.feed(ReplyRequested(s.t)) == []
    out = s.frames(12, pause=0.99)
    assert finals(out) == ["hi"] and len(starts(out)) == 1


def test_a_stalled_flush_still_ends_the_turn() -> None:
    s = script(PUSH_TO_TALK)
    s.frames(20, pause=0.05, words={2: "hi"})
    s.feed(UserTurnCommitted(s.t))
    s.feed(ReplyRequested(s.t))
    s.t += rules.FLUSH_TIMEOUT_S  # the STT never answers the flush
    out = s.feed(Tick(s.t))
    assert finals(out) == ["hi"] and len(starts(out)) == 1


def test_cleared_words_are_not_part_of_the_turn() -> None:
    s = script(PUSH_TO_TALK)
    s.frames(10, pause=0.05, words={2: "scratch", 4: "that"})
    s.feed(UserTurnCleared(s.t))
    s.frames(10, pause=0.05, words={2: "hello"})
    s.feed(UserTurnCommitted(s.t))
    out = s.frames(12, pause=0.99)
    assert finals(out) == ["hello"]


def test_create_response_false_ends_turns_without_replying() -> None:
    s = script(TurnOptions(**{**API_CLIENT_TURNS.__dict__, "replies_on_turn_end": False}))
    s.frames(20, pause=0.05, words={2: "hello"})
    out = s.frames(20, pause=0.99)
    assert "input_audio_buffer.speech_stopped" in event_types(out)
    assert finals(out) == ["hello"] and starts(out) == []


def test_the_client_cancels_a_reply_and_the_history_keeps_what_was_heard() -> None:
    s = script(API_CLIENT_TURNS)
    s.feed(ReplyRequested(s.t))
    s.reply("one two three four", finish=False)
    out = s.feed(ReplyCancelRequested(s.t))
    assert [a for a in out if isinstance(a, CancelReply)]
    assert s.conversation.phase is Phase.LISTENING
    assert (
        s.conversation.history.last_assistant_text()
        == "one two three four" + rules.INTERRUPTION_MARK
    )
    assert s.feed(ReplyCancelRequested(s.t)) == [], "nothing left to cancel"


def test_without_barge_in_the_user_does_not_stop_the_bot() -> None:
    s = script(TurnOptions(**{**API_CLIENT_TURNS.__dict__, "interrupts": False}))
    s.frames(60, pause=0.99)  # past the first seconds, where nothing interrupts anyway
    s.feed(ReplyRequested(s.t))
    out = s.frames(5, pause=0.05, words={1: "hey"})
    assert [a for a in out if isinstance(a, CancelReply)] == []


def test_a_tool_call_is_reported_and_no_fallback_is_spoken() -> None:
    s = script(API_CLIENT_TURNS)
    s.feed(ReplyRequested(s.t))
    rid = s.conversation.response_id
    out = s.feed(LlmToolCall(s.t, rid, "call_1", "get_weather", '{"city": "Paris"}'))
    assert out == [ToolCallMade(rid, "call_1", "get_weather", '{"city": "Paris"}')]
    out = s.feed(LlmDone(s.t, rid))
    assert [a for a in out if isinstance(a, SpeakWord)] == []


def test_turn_options_can_change_mid_call() -> None:
    s = script(API_CLIENT_TURNS)
    s.feed(TurnOptionsChanged(s.t, PUSH_TO_TALK))
    s.frames(20, pause=0.05, words={2: "hello"})
    s.frames(20, pause=0.99)
    assert finals(s.actions) == [], "push-to-talk now: the pause does not end the turn"
    s.feed(SttWord(s.t, "again", s.t))
    assert s.conversation.phase is Phase.LISTENING
