"""The chat history as changes, for a client that keeps its own copy.

The core hands every `unmute.additional_outputs` the whole history (Kyutai's clients
expect it, before each bot turn's end and once a second while idle). A client that asked
for `history_updates: "delta"` gets only what changed since the last one it got: the
index of the first message that differs, and the messages from there on. Unchanged, that
is an empty list at the history's length; trimmed from the front, everything again. Such
a client's `response.created` carries no history: the deltas already bring it.
"""

from __future__ import annotations

from backend.realtime import events as ev


class HistoryDeltas:
    """Remembers what the client has; pure."""

    def __init__(self) -> None:
        self._sent: list[ev.ChatMessage] = []

    def changes(self, history: list[ev.ChatMessage]) -> tuple[int, list[ev.ChatMessage]]:
        """(start, messages): the client keeps its first `start` and replaces the rest."""
        start = 0
        for sent, current in zip(self._sent, history, strict=False):
            if sent != current:
                break
            start += 1
        self._sent = list(history)
        return start, history[start:]

    def as_delta(self, event: ev.UnmuteAdditionalOutputs) -> ev.UnmuteAdditionalOutputs:
        start, messages = self.changes(event.args.chat_history)
        args = event.args.model_copy(update={"chat_history": messages, "chat_history_start": start})
        return event.model_copy(update={"args": args})

    def without_history(self, event: ev.ResponseCreated) -> ev.ResponseCreated:
        response = event.response.model_copy(update={"chat_history": []})
        return event.model_copy(update={"response": response})
