"""Tools the backend runs itself in a spoken reply (the operator's MCP servers): what the
bot says while one runs, what it says when one fails, and what the LLM is asked next.

A tool call can take seconds, a long silence on a call. So the bot says a short filler at
once (only when the LLM said nothing itself), keeps the reply open while the tool runs, and
then either asks the LLM again with the result, or says how the tool failed: the user
always hears something. Pure: the conversation core owns one and feeds it the calls.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from backend.tools.config import DEFAULT_MAX_CALLS_PER_TURN
from backend.tools.outcome import ToolFailure, ToolOutcome

# Said in the character's voice the moment the LLM calls a tool: it acknowledges the
# question at once, and it is short, so a fast tool's answer is not kept waiting behind it.
FILLER_LINE = "One moment, let me check."
# A failed tool is said plainly, one line per way of failing, so the user knows whether
# trying again soon may help; the LLM is not asked to make up an answer without the result.
FAILURE_LINES = {
    ToolFailure.TIMEOUT: "Sorry, I couldn't get an answer in time. Please try again in a bit.",
    ToolFailure.ERROR: "Sorry, something went wrong when I looked that up.",
    ToolFailure.UNAVAILABLE: "Sorry, I can't reach that service right now.",
}
# An LLM that keeps calling tools in one turn is stuck: stop it and say so.
TOO_MANY_CALLS_LINE = "Sorry, I couldn't find that out."


@dataclass
class _Call:
    call_id: str
    name: str
    arguments: str
    outcome: ToolOutcome | None = None


@dataclass(frozen=True)
class CallDecision:
    run: bool  # False: over the turn's limit, the call is not made
    say: str  # words to speak now ("" for none)


@dataclass(frozen=True)
class SpeakLine:
    """The tools are settled: end the reply with this line."""

    text: str


@dataclass(frozen=True)
class AskAgain:
    """The tools answered: when this reply has played, ask the LLM again."""


@dataclass
class ServerTools:
    max_calls_per_turn: int = DEFAULT_MAX_CALLS_PER_TURN
    _calls_this_turn: int = 0
    _filler_said: bool = False
    _refused: bool = False
    _reply_calls: dict[str, _Call] = field(default_factory=dict)
    # The user turn's settled calls, as the OpenAI tool-call messages.
    _exchange: list[dict[str, Any]] = field(default_factory=list)

    def new_user_turn(self) -> None:
        self._calls_this_turn = 0
        self._filler_said = False
        self._exchange = []
        self.new_reply()

    def new_reply(self) -> None:
        self._reply_calls = {}
        self._refused = False

    @property
    def has_calls(self) -> bool:
        """Did the current reply call a tool (made or refused)?"""
        return bool(self._reply_calls) or self._refused

    @property
    def waiting(self) -> bool:
        """Is a tool of the current reply still running?"""
        return any(call.outcome is None for call in self._reply_calls.values())

    def on_call(
        self, call_id: str, name: str, arguments: str, *, reply_has_words: bool
    ) -> CallDecision:
        if self._calls_this_turn >= self.max_calls_per_turn or call_id in self._reply_calls:
            self._refused = True
            return CallDecision(run=False, say="")
        self._calls_this_turn += 1
        self._reply_calls[call_id] = _Call(call_id, name, arguments)
        say = "" if reply_has_words or self._filler_said else FILLER_LINE
        self._filler_said = True
        return CallDecision(run=True, say=say)

    def on_result(self, call_id: str, outcome: ToolOutcome) -> bool:
        """Record a call's outcome; False for a call this reply is not waiting for."""
        call = self._reply_calls.get(call_id)
        if call is None or call.outcome is not None:
            return False
        call.outcome = outcome
        return True

    def abandon(self) -> None:
        """The reply was cut short: late outcomes of its calls are dropped."""
        self.new_reply()

    def settle(self) -> SpeakLine | AskAgain:
        """Every call of the reply has its outcome (not `waiting`): what happens next."""
        calls = list(self._reply_calls.values())
        self.new_reply()
        if not calls:
            return SpeakLine(TOO_MANY_CALLS_LINE)
        for call in calls:
            assert call.outcome is not None
            if call.outcome.failure is not None:
                return SpeakLine(FAILURE_LINES[call.outcome.failure])
        self._exchange.append(
            {
                "role": "assistant",
                "content": None,
                "tool_calls": [
                    {
                        "id": call.call_id,
                        "type": "function",
                        "function": {"name": call.name, "arguments": call.arguments or "{}"},
                    }
                    for call in calls
                ],
            }
        )
        for call in calls:
            assert call.outcome is not None
            self._exchange.append(
                {"role": "tool", "tool_call_id": call.call_id, "content": call.outcome.text}
            )
        return AskAgain()

    def follow_up(self, llm_messages: list[dict[str, Any]]) -> list[dict[str, Any]]:
        """The request that answers from the tools' results: the history, then the calls
        and their results. What the bot said before calling (the filler) becomes the calling
        message's text, so no two assistant messages follow each other."""
        messages = list(llm_messages)
        exchange = [dict(message) for message in self._exchange]
        if messages and messages[-1]["role"] == "assistant" and exchange:
            exchange[0]["content"] = messages.pop()["content"]
        return [*messages, *exchange]
