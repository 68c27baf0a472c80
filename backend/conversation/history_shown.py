"""What the client is shown of the history: all of it when a reply starts and when one has
played, and while the bot is idle, when it changed, at most every
`rules.IDLE_UPDATE_INTERVAL_S` (user words arrive several times a second)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from backend.conversation import rules
from backend.conversation.history import History
from backend.realtime import events as ev


class HistoryShown:
    """When the client last got the history, and which version of it."""

    def __init__(self) -> None:
        self._sent_at = float("-inf")
        self._sent_version = -1

    def idle_update_due(self, t: float, history: History) -> bool:
        return (
            history.version != self._sent_version
            and t - self._sent_at >= rules.IDLE_UPDATE_INTERVAL_S
        )

    def update(
        self, t: float, history: History, debug: dict[str, Any]
    ) -> ev.UnmuteAdditionalOutputs:
        self._sent_at = t
        self._sent_version = history.version
        return ev.UnmuteAdditionalOutputs(
            args=ev.AdditionalOutputsArgs(
                chat_history=chat_messages(history.without_system()), debug_dict=debug
            )
        )


def chat_messages(messages: Iterable[Mapping[str, str]]) -> list[ev.ChatMessage]:
    return [ev.ChatMessage.model_validate(m) for m in messages]
