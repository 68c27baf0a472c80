"""One bot reply as the conversation core sees it: the LLM's words and tool calls come in,
words to speak go out, until the reply's text is done; what was actually spoken is added to
the history as it plays, laid out with the LLM's own separators (`LlmWord.separator`), so
that a reply with nothing unspoken in it is in the history as the LLM streamed it.

Pure: the conversation core starts one per reply and feeds it only that reply's signals.
"""

from __future__ import annotations

from backend.conversation import rules
from backend.conversation.history import History
from backend.conversation.server_tools import AskAgain, ServerTools
from backend.conversation.signals import (
    AbandonToolCalls,
    Action,
    BotWordSpoken,
    Emit,
    EndOfReplyText,
    LlmDone,
    LlmFailed,
    LlmToolCall,
    LlmToolCallDelta,
    LlmWord,
    SpeakWord,
    ToolCallMade,
    ToolCallProgress,
    ToolResult,
    TtsFailed,
)
from backend.realtime import events as ev
from backend.realtime import public_errors

ReplySignal = (
    LlmWord
    | LlmDone
    | LlmFailed
    | TtsFailed
    | BotWordSpoken
    | LlmToolCall
    | LlmToolCallDelta
    | ToolResult
)


class BotReply:
    def __init__(
        self, response_id: int, history: History, server_tools: ServerTools | None
    ) -> None:
        """`server_tools`: the backend runs the LLM's tool calls itself (`ToolResult`)
        rather than leaving them to the client."""
        self.response_id = response_id
        self._history = history
        self._server_tools = server_tools
        self._words: list[str] = []  # words sent to the TTS
        self._laid_out: list[str] = []  # each word after the separator the LLM wrote before it
        self._words_spoken = 0
        self._text_finished = False
        self._llm_done = False  # the LLM stream ended; server tools may still be running
        self.follow_up_due = False  # ask the LLM again once this reply has played
        self._tool_calls = 0

    @property
    def text(self) -> str:
        """The words sent to the TTS so far."""
        return " ".join(self._words)

    @property
    def laid_out_text(self) -> str:
        """The words sent to the TTS so far, laid out as the LLM wrote them: the reply as the
        history keeps it once played."""
        return "".join(self._laid_out)

    def handle(self, signal: ReplySignal) -> list[Action]:
        match signal:
            case LlmToolCallDelta():
                rid = self.response_id
                return [ToolCallProgress(rid, signal.call_id, signal.name, signal.arguments)]
            case LlmToolCall():
                return self._on_tool_call(signal)
            case ToolResult():
                tools = self._server_tools
                if tools is None or not tools.on_result(signal.call_id, signal.outcome):
                    return []
                return self._settle_tools()
            case LlmWord():
                if self._text_finished:
                    return []
                return self._speak(signal.text, signal.separator)
            case LlmDone():
                self._llm_done = True
                if self._server_tools is not None and self._server_tools.has_calls:
                    return self._settle_tools()
                return self._finish_text(rules.EMPTY_REPLY)
            case LlmFailed():
                return [
                    Emit(public_errors.LLM_FAILED.event("warning")),
                    *self.abandon_tools(),
                    *self._finish_text(rules.LLM_FAILURE_REPLY),
                ]
            case TtsFailed():
                # The reply ends by itself once what was spoken has played.
                return [Emit(public_errors.TTS_FAILED.event("warning"))]
            case BotWordSpoken():
                self._words_spoken += 1
                self._history.add_assistant_text(self._heard(signal.text))
                delta = signal.text if self._words_spoken == 1 else f" {signal.text}"
                return [Emit(ev.ResponseTextDelta(delta=delta))]

    def abandon_tools(self) -> list[Action]:
        """Stop waiting for the reply's tools, whose late outcomes are then dropped."""
        self.follow_up_due = False
        if self._server_tools is None or not self._server_tools.waiting:
            return []
        self._server_tools.abandon()
        return [AbandonToolCalls(self.response_id)]

    # --- tool calls -------------------------------------------------------------------

    def _on_tool_call(self, signal: LlmToolCall) -> list[Action]:
        self._tool_calls += 1
        call = ToolCallMade(self.response_id, signal.call_id, signal.name, signal.arguments)
        if self._server_tools is None:
            return [call]
        decision = self._server_tools.on_call(
            signal.call_id,
            signal.name,
            signal.arguments,
            reply_has_words=bool(self._words),
        )
        actions: list[Action] = [call] if decision.run else []
        for word in decision.say.split():
            actions += self._speak(word)
        return actions

    def _settle_tools(self) -> list[Action]:
        """The LLM is done and so are the reply's tools: say the failure, or finish this
        reply and ask the LLM again once it has played."""
        tools = self._server_tools
        assert tools is not None
        if not self._llm_done or tools.waiting:
            return []  # the reply stays open (its TTS stream too) until both are done
        settled = tools.settle()
        actions: list[Action] = []
        if isinstance(settled, AskAgain):
            self.follow_up_due = True
        else:
            for word in settled.text.split():
                actions += self._speak(word)
        return [*actions, *self._finish_text(rules.EMPTY_REPLY)]

    # --- the reply's text -------------------------------------------------------------

    def _heard(self, word: str) -> str:
        """The text the history gets for the word just heard: the TTS reports one word per
        word it was given, in order."""
        if self._words_spoken <= len(self._laid_out):
            return self._laid_out[self._words_spoken - 1]
        return word if self._words_spoken == 1 else f" {word}"

    def _speak(self, word: str, separator: str = " ") -> list[Action]:
        """`separator`: the whitespace the LLM wrote before `word`; the core's own words (a
        fallback line, what a tool says) follow a single space."""
        delta = word if not self._words else f" {word}"
        laid_out = word if not self._words else f"{separator or ' '}{word}"
        self._words.append(word)
        self._laid_out.append(laid_out)
        return [
            Emit(ev.UnmuteResponseTextDeltaReady(delta=delta)),
            SpeakWord(self.response_id, word),
        ]

    def _finish_text(self, fallback: str) -> list[Action]:
        """The LLM is done; a reply with no words gets `fallback`, so no turn is silent."""
        if self._text_finished:
            return []
        actions: list[Action] = []
        if not self._words and not self._tool_calls:
            for word in fallback.split():
                actions += self._speak(word)
        self._text_finished = True
        return [
            *actions,
            Emit(ev.ResponseTextDone(text=self.text)),
            EndOfReplyText(self.response_id),
        ]
