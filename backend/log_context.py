"""Which conversation, and which of its turns, a log line is about.

One process serves several conversations at once and their lines interleave. Every line
written on a conversation's behalf starts with `session=<id> turn=<n>` and carries
`session_id` and `turn_id` as record attributes (for a structured formatter), so an
operator can follow one call, and find there the details its browser was not shown.
The ids live in a context variable: asyncio copies it into every task a session starts,
so the STT link, the replies and the speech clients log them without being passed them.
"""

from __future__ import annotations

import contextvars
import logging
import secrets
from collections.abc import MutableMapping
from dataclasses import dataclass
from typing import Any


@dataclass
class ConversationIds:
    session_id: str
    turn_id: int = 0  # the bot turn under way, or the last one; 0 before the greeting


_current: contextvars.ContextVar[ConversationIds | None] = contextvars.ContextVar(
    "unmute_conversation", default=None
)


def new_session_id() -> str:
    """Short enough to read in a log line, random enough not to repeat in a day's logs."""
    return secrets.token_hex(4)


def enter_conversation(session_id: str) -> ConversationIds:
    """Tag the lines of this task, and of the tasks it starts from now on, with `session_id`.

    The ids returned are shared with those tasks: setting their `turn_id` moves them all on.
    """
    ids = ConversationIds(session_id)
    _current.set(ids)
    return ids


def turn_context(turn_id: int) -> contextvars.Context:
    """A context for one reply's task: its lines keep naming its own turn, even after the
    conversation has moved on (a cancelled reply still logs while it winds down)."""
    context = contextvars.copy_context()
    ids = context.get(_current)
    if ids is not None:
        context.run(_current.set, ConversationIds(ids.session_id, turn_id))
    return context


def current_ids() -> ConversationIds | None:
    return _current.get()


class ConversationLogger(logging.LoggerAdapter[logging.Logger]):
    """A logger whose lines name the conversation and turn they were written for."""

    def process(
        self, msg: Any, kwargs: MutableMapping[str, Any]
    ) -> tuple[Any, MutableMapping[str, Any]]:
        ids = _current.get()
        if ids is None:
            return msg, kwargs
        kwargs["extra"] = {
            **(kwargs.get("extra") or {}),
            "session_id": ids.session_id,
            "turn_id": ids.turn_id,
        }
        return f"session={ids.session_id} turn={ids.turn_id} {msg}", kwargs


def conversation_logger(name: str) -> ConversationLogger:
    return ConversationLogger(logging.getLogger(name))
