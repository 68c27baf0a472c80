"""The history keeps the words of the bot's replies that were heard, laid out with the LLM's
own separators, on scripted timelines: a reply with nothing unspoken in it byte for byte,
markdown and emoji left out, an interrupted one up to the last word heard; what the
listener is shown (subtitles, the LLM's words) is the spoken words with single spaces."""

from __future__ import annotations

from backend.conversation import rules
from backend.conversation.machine import Conversation, Phase
from backend.conversation.server_tools import FAILURE_LINES, FILLER_LINE, ServerTools
from backend.conversation.signals import (
    Action,
    BotWordSpoken,
    Emit,
    LlmDone,
    LlmToolCall,
    PlaybackFinished,
    SpeakWord,
    SttWord,
    Tick,
    ToolResult,
)
from backend.realtime import events as ev
from backend.tools.outcome import ToolFailure, ToolOutcome
from tests.unit.conversation_script import Script, is_goodbye, starts

SPEECH = 0.05
SILENCE = 0.95
GREETING = "Hi there!  I'm Robin.\n\nHow can I help you **today**? 😀\n"
GREETING_HEARD = "Hi there!  I'm Robin.\n\nHow can I help you today?"
REPLY = "Sure.\n\nParis is  lovely:\n- the *Louvre*\n- the Seine 🎉"
REPLY_HEARD = "Sure.\n\nParis is  lovely:\nthe Louvre\nthe Seine"
PLAIN = "Sure.\n\nParis is  lovely.\nIt has the Louvre, and the Seine."


def greeted(s: Script | None = None) -> Script:
    s = s or Script()
    s.start()
    s.frames(50, SILENCE)  # past the first seconds, in which there is no barge-in
    s.reply(GREETING)
    return s


def asked(s: Script, *words: str) -> None:
    s.frames(len(words) * 3, SPEECH, {i * 3: w for i, w in enumerate(words)})
    s.frames(2, SILENCE)
    s.feed(Tick(s.t + rules.FLUSH_TIMEOUT_S))
    assert s.conversation.phase is Phase.REPLYING


def spoken(actions: list[Action]) -> list[str]:
    return [a.text for a in actions if isinstance(a, SpeakWord)]


def test_a_reply_played_to_its_end_is_kept_laid_out_as_written() -> None:
    s = greeted()
    assert s.conversation.history.last_assistant_text() == GREETING_HEARD
    asked(s, "tell", "me", "about", "Paris")
    (follow_up,) = starts(s.actions[-2:])
    assert follow_up.messages[-2] == {"role": "assistant", "content": GREETING_HEARD}
    s.reply(REPLY)
    assert s.conversation.history.last_assistant_text() == REPLY_HEARD


def test_a_reply_with_nothing_unspoken_is_kept_byte_for_byte() -> None:
    s = greeted()
    asked(s, "tell", "me", "about", "Paris")
    s.reply(PLAIN)
    assert s.conversation.history.last_assistant_text() == PLAIN


def test_the_greeting_keeps_its_place_and_text_in_every_later_request() -> None:
    """Each request starts with the one before it, the reply in between as heard."""
    s = Script()
    s.start()
    (previous,) = starts(s.actions)
    s.frames(50, SILENCE)
    for reply, heard, question in [(GREETING, GREETING_HEARD, "hello"), (PLAIN, PLAIN, "thanks")]:
        s.reply(reply)
        asked(s, question)
        (request,) = starts(s.actions[-2:])
        assert request.messages[: len(previous.messages)] == previous.messages
        assert request.messages[len(previous.messages) :] == [
            {"role": "assistant", "content": heard},
            {"role": "user", "content": question},
        ]
        previous = request


def test_an_interrupted_reply_is_cut_after_the_last_word_heard() -> None:
    s = greeted()
    asked(s, "tell", "me", "about", "Paris")
    out = s.llm_writes(REPLY, done=True)
    assert spoken(out)[:4] == ["Sure.", "Paris", "is", "lovely:"]
    s.hear("Sure.", "Paris", "is", "lovely:")
    assert s.conversation.history.last_assistant_text() == "Sure.\n\nParis is  lovely:"
    s.feed(SttWord(s.t, "wait", s.t))
    turns = s.conversation.history.without_system()
    assert turns[-2] == {
        "role": "assistant",
        "content": "Sure.\n\nParis is  lovely:" + rules.INTERRUPTION_MARK,
    }
    assert turns[-1] == {"role": "user", "content": "wait"}


def test_text_not_spoken_is_left_out() -> None:
    s = greeted()
    asked(s, "what", "now")
    s.llm_writes("**Well**, 😀 let me think")
    s.hear("Well,", "let")
    s.feed(SttWord(s.t, "stop", s.t))
    turns = s.conversation.history.without_system()
    assert turns[-2]["content"] == "Well, let" + rules.INTERRUPTION_MARK


def test_the_listener_is_shown_the_spoken_words_with_single_spaces() -> None:
    s = greeted()
    asked(s, "tell", "me", "about", "Paris")
    out = s.reply(REPLY)
    words = ["Sure.", "Paris", "is", "lovely:", "the", "Louvre", "the", "Seine"]
    emitted = [a.event for a in out if isinstance(a, Emit)]
    ready = [e.delta for e in emitted if isinstance(e, ev.UnmuteResponseTextDeltaReady)]
    subtitles = [e.delta for e in emitted if isinstance(e, ev.ResponseTextDelta)]
    assert ready == subtitles == [words[0], *(f" {w}" for w in words[1:])]
    (done,) = [e for e in emitted if isinstance(e, ev.ResponseTextDone)]
    assert done.text == " ".join(words)


def test_a_reply_the_llm_left_empty_is_kept_as_the_line_said_instead() -> None:
    s = greeted()
    asked(s, "hmm")
    out = s.llm_writes("😀\n", done=True)
    assert " ".join(spoken(out)) == rules.EMPTY_REPLY
    s.hear(*spoken(out))
    s.feed(PlaybackFinished(s.t, s.conversation.response_id))
    assert s.conversation.history.last_assistant_text() == rules.EMPTY_REPLY


def test_a_tts_that_reports_more_words_than_it_was_given_adds_them_as_spoken() -> None:
    s = greeted()
    asked(s, "count")
    s.llm_writes("One,\ntwo")
    s.hear("One,", "two", "three")
    assert s.conversation.history.last_assistant_text() == "One,\ntwo three"


def test_the_llms_words_before_a_tool_call_are_kept_laid_out_as_written() -> None:
    s = greeted(Script(conversation=Conversation(is_goodbye, server_tools=ServerTools(3))))
    asked(s, "weather")
    rid = s.conversation.response_id
    s.llm_writes("Let  me\n\nlook.")
    out = s.feed(LlmToolCall(s.t, rid, "c1", "weather__forecast", "{}"))
    assert spoken(out) == [], "the LLM's words replace the filler line"
    s.feed(LlmDone(s.t, rid))
    s.feed(ToolResult(s.t, rid, "c1", ToolOutcome("Sunny.")))
    for word in ["Let", "me", "look."]:
        s.feed(BotWordSpoken(s.t, rid, word))
    (follow_up,) = starts(s.feed(PlaybackFinished(s.t, rid)))
    assert s.conversation.history.turns[-2].content == "Let  me\n\nlook."
    call, answer = follow_up.messages[-2:]
    assert call["role"] == "assistant" and call["content"] == "Let  me\n\nlook."
    assert answer == {"role": "tool", "tool_call_id": "c1", "content": "Sunny."}


def test_a_line_the_core_says_after_the_llms_words_follows_what_the_llm_wrote() -> None:
    s = greeted(Script(conversation=Conversation(is_goodbye, server_tools=ServerTools(3))))
    asked(s, "weather")
    rid = s.conversation.response_id
    s.llm_writes("Let  me\n\nlook.")
    s.feed(LlmToolCall(s.t, rid, "c1", "weather__forecast", "{}"))
    s.feed(LlmDone(s.t, rid))
    out = s.feed(ToolResult(s.t, rid, "c1", ToolOutcome("down", ToolFailure.UNAVAILABLE)))
    line = FAILURE_LINES[ToolFailure.UNAVAILABLE]
    assert " ".join(spoken(out)) == line
    s.hear("Let", "me", "look.", *line.split())
    assert starts(s.feed(PlaybackFinished(s.t, rid))) == []
    assert s.conversation.history.last_assistant_text() == f"Let  me\n\nlook. {line}"


def test_a_reply_that_only_calls_a_tool_is_kept_as_the_filler_line_said() -> None:
    s = greeted(Script(conversation=Conversation(is_goodbye, server_tools=ServerTools(3))))
    asked(s, "weather")
    rid = s.conversation.response_id
    out = s.feed(LlmToolCall(s.t, rid, "c1", "weather__forecast", "{}"))
    assert " ".join(spoken(out)) == FILLER_LINE
    s.feed(LlmDone(s.t, rid))
    s.feed(ToolResult(s.t, rid, "c1", ToolOutcome("Sunny.")))
    s.hear(*FILLER_LINE.split())
    s.feed(PlaybackFinished(s.t, rid))
    assert s.conversation.history.turns[-2].content == FILLER_LINE
