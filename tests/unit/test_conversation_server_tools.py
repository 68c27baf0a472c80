"""Tools the backend runs itself, on scripted timelines: what the bot says, and when the
LLM is asked again."""

from __future__ import annotations

from backend.conversation import rules
from backend.conversation.machine import Conversation, Phase
from backend.conversation.server_tools import (
    FAILURE_LINES,
    FILLER_LINE,
    TOO_MANY_CALLS_LINE,
    ServerTools,
)
from backend.conversation.signals import (
    AbandonToolCalls,
    Action,
    BotWordSpoken,
    CancelReply,
    EndOfReplyText,
    LlmDone,
    LlmToolCall,
    PlaybackFinished,
    SpeakWord,
    SttWord,
    Tick,
    ToolCallMade,
    ToolResult,
)
from backend.tools.outcome import ToolFailure, ToolOutcome
from tests.unit.conversation_script import Script, is_goodbye, starts

SPEECH = 0.05
SILENCE = 0.95
ARGS = '{"city": "Paris"}'


def asked(max_calls: int = 3) -> Script:
    """The greeting was heard, the user asked about the weather, the reply has started."""
    s = Script(conversation=Conversation(is_goodbye, server_tools=ServerTools(max_calls)))
    s.start()
    s.frames(50, SILENCE)
    s.reply("Hello there!")
    s.frames(9, SPEECH, {0: "weather", 3: "in", 6: "Paris"})
    s.frames(2, SILENCE)
    s.feed(Tick(s.t + rules.FLUSH_TIMEOUT_S))
    assert s.conversation.phase is Phase.REPLYING
    return s


def said(actions: list[Action]) -> str:
    return " ".join(a.text for a in actions if isinstance(a, SpeakWord))


def call(s: Script, call_id: str = "c1", arguments: str = ARGS) -> list[Action]:
    rid = s.conversation.response_id
    return s.feed(LlmToolCall(s.t, rid, call_id, "weather__forecast", arguments))


def result(s: Script, outcome: ToolOutcome, call_id: str = "c1") -> list[Action]:
    return s.feed(ToolResult(s.t, s.conversation.response_id, call_id, outcome))


def play_out(s: Script, actions: list[Action]) -> list[Action]:
    """The TTS speaks the reply's words and playback finishes."""
    rid = s.conversation.response_id
    out: list[Action] = []
    for word in said(actions).split():
        out += s.feed(BotWordSpoken(s.t, rid, word))
    return out + s.feed(PlaybackFinished(s.t, rid))


def test_a_tool_call_is_run_and_the_filler_said_at_once() -> None:
    s = asked()
    rid = s.conversation.response_id
    out = call(s)
    assert out[0] == ToolCallMade(rid, "c1", "weather__forecast", ARGS)
    assert said(out) == FILLER_LINE


def test_the_reply_waits_for_the_tool_then_the_llm_answers_from_its_result() -> None:
    s = asked()
    spoken = call(s)
    assert s.feed(LlmDone(s.t, s.conversation.response_id)) == [], "the reply stays open"
    out = result(s, ToolOutcome("Sunny in Paris, 21 degrees."))
    assert any(isinstance(a, EndOfReplyText) for a in out)
    assert said(out) == ""
    (follow_up,) = starts(play_out(s, spoken + out))
    assert follow_up.messages[-3] == {"role": "user", "content": "weather in Paris"}
    assert follow_up.messages[-2] == {
        "role": "assistant",
        "content": FILLER_LINE,
        "tool_calls": [
            {
                "id": "c1",
                "type": "function",
                "function": {"name": "weather__forecast", "arguments": ARGS},
            }
        ],
    }
    assert follow_up.messages[-1] == {
        "role": "tool",
        "tool_call_id": "c1",
        "content": "Sunny in Paris, 21 degrees.",
    }
    answer = s.reply("Sunny, 21 degrees.")
    assert starts(answer) == []
    assert s.conversation.phase is Phase.LISTENING


def test_a_result_before_the_llm_is_done_waits_for_it() -> None:
    s = asked()
    call(s)
    assert result(s, ToolOutcome("Sunny.")) == []
    out = s.feed(LlmDone(s.t, s.conversation.response_id))
    assert any(isinstance(a, EndOfReplyText) for a in out)


def test_each_failure_is_said_in_its_own_words_and_the_llm_is_not_asked_again() -> None:
    for failure, line in FAILURE_LINES.items():
        s = asked()
        spoken = call(s)
        s.feed(LlmDone(s.t, s.conversation.response_id))
        out = result(s, ToolOutcome("went wrong", failure))
        assert said(out) == line
        assert any(isinstance(a, EndOfReplyText) for a in out)
        assert starts(play_out(s, spoken + out)) == []
        assert s.conversation.phase is Phase.LISTENING
        heard = s.conversation.history.last_assistant_text()
        assert heard == f"{FILLER_LINE} {line}"
    assert len(set(FAILURE_LINES.values())) == len(ToolFailure)


def test_words_the_llm_said_before_calling_replace_the_filler() -> None:
    s = asked()
    s.llm_writes("Let me look.")
    assert said(call(s)) == ""


def test_a_barge_in_abandons_the_call_and_its_late_result_is_dropped() -> None:
    s = asked()
    rid = s.conversation.response_id
    call(s)
    out = s.feed(SttWord(s.t, "never", s.t))
    assert out[:2] == [AbandonToolCalls(rid), CancelReply(rid)]
    assert s.conversation.phase is Phase.LISTENING
    assert result(s, ToolOutcome("Sunny.")) == []
    assert s.feed(LlmDone(s.t, rid)) == []


def test_a_barge_in_while_the_filler_plays_after_the_result_asks_nothing_more() -> None:
    s = asked()
    rid = s.conversation.response_id
    call(s)
    s.feed(LlmDone(s.t, rid))
    result(s, ToolOutcome("Sunny."))
    out = s.feed(SttWord(s.t, "never", s.t))
    assert out[0] == CancelReply(rid), "nothing to abandon: the tool had answered"
    assert starts(s.feed(PlaybackFinished(s.t, rid))) == []


def test_calls_beyond_the_turns_limit_are_not_made_and_said_so() -> None:
    s = asked(max_calls=1)
    spoken = call(s)
    s.feed(LlmDone(s.t, s.conversation.response_id))
    result(s, ToolOutcome("Sunny."))
    play_out(s, spoken)
    out = call(s, "c2")
    assert not any(isinstance(a, ToolCallMade) for a in out)
    assert said(out) == "", "the filler was said once this turn"
    out = s.feed(LlmDone(s.t, s.conversation.response_id))
    assert said(out) == TOO_MANY_CALLS_LINE


def test_the_limit_is_per_user_turn() -> None:
    s = asked(max_calls=1)
    spoken = call(s)
    s.feed(LlmDone(s.t, s.conversation.response_id))
    out = result(s, ToolOutcome("Sunny."))
    play_out(s, spoken + out)
    answer = s.reply("Sunny today.")
    assert s.conversation.phase is Phase.LISTENING and starts(answer) == []
    s.frames(6, SPEECH, {0: "and", 3: "tomorrow"})
    s.frames(2, SILENCE)
    s.feed(Tick(s.t + rules.FLUSH_TIMEOUT_S))
    out = call(s, "c3")
    assert any(isinstance(a, ToolCallMade) for a in out)
    assert said(out) == FILLER_LINE


def test_without_server_tools_a_call_is_only_reported() -> None:
    s = Script()
    s.start()
    rid = s.conversation.response_id
    out = s.feed(LlmToolCall(s.t, rid, "c1", "weather__forecast", ARGS))
    assert out == [ToolCallMade(rid, "c1", "weather__forecast", ARGS)]
    assert s.feed(ToolResult(s.t, rid, "c1", ToolOutcome("Sunny."))) == []
