"""What one conversation may take, set per deployment (`UNMUTE_*` settings): how long it
holds its seat, and how much of it the LLM is sent.

A seat is also an STT slot on a GPU node, and the autoscaler counts it as load: a call
must end once nobody is there, and a public service bounds every call's length. The LLM's
context is bounded too (`rules.DEFAULT_LLM_HISTORY_CHARS` says why and how).
"""

from __future__ import annotations

from dataclasses import dataclass

from backend.conversation.rules import DEFAULT_LLM_HISTORY_CHARS, GREETING_USER_TURN

DEFAULT_IDLE_CLOSE_S = 30.0
DEFAULT_MAX_CONVERSATION_S = 1800.0
# Room for a question and the greeting turn some chat templates need; less is a mistake.
MIN_LLM_HISTORY_CHARS = 100 + len(GREETING_USER_TURN)


@dataclass(frozen=True)
class ConversationLimits:
    # After the bot's silence prompts went unanswered, this long without the user making
    # a sound ends the call; also how long a client may take to configure its session
    # and send audio before the call starts.
    idle_close_s: float = DEFAULT_IDLE_CLOSE_S
    # The longest call: once reached, the reply being spoken is heard to its end, no new
    # one starts, and the call closes.
    max_conversation_s: float = DEFAULT_MAX_CONVERSATION_S
    # The most characters of past turns sent with each LLM request, system prompt aside.
    llm_history_chars: int = DEFAULT_LLM_HISTORY_CHARS

    def __post_init__(self) -> None:
        if self.idle_close_s <= 0 or self.max_conversation_s <= 0:
            raise ValueError(f"conversation limits must be positive: {self}")
        if self.llm_history_chars < MIN_LLM_HISTORY_CHARS:
            raise ValueError(f"llm_history_chars must be at least {MIN_LLM_HISTORY_CHARS}: {self}")
