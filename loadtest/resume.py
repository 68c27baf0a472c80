"""A dropped conversation resumed as the browser app resumes it: pure rules and evidence.

Which closes are drops worth resuming, how long to wait before each new connection
(frontend/src/conversation/phase.ts and lib/backoff.ts), and what one resume showed: when
the new connection's server took the session, and whether the first history it sent back
holds every turn the simulated browser offered.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from backend.realtime import events as ev
from loadtest.results import ResumeRecord

# Closes that say nothing about the conversation, only that its server or the way to it
# went away: no close frame (the process died), a restart, a crash without a fatal error.
RESUMABLE_CLOSES = frozenset({1001, 1005, 1006, 1011, 1012, 1013})


def is_resumable_drop(close_code: int | None, *, fatal_error: bool) -> bool:
    """A close the client did not ask for that the app answers by resuming (a fatal error
    is shown instead; 1000 ends the call)."""
    if fatal_error:
        return False
    return close_code is None or close_code in RESUMABLE_CLOSES


# Not tenacity: the app waits before its first try too, and the resume loop retries on outcomes.
@dataclass(frozen=True)
class Backoff:
    """Jittered exponential backoff: retry soon, then every `max_delay_s`."""

    initial_delay_s: float = 0.25
    max_delay_s: float = 1.0
    multiplier: float = 2.0
    # About 15 s of trying: longer than a server takes to restart, short enough to say so.
    max_attempts: int = 16

    def ceiling_s(self, attempt: int) -> float:
        """The longest wait before retry number `attempt` (0 for the first)."""
        return min(self.max_delay_s, self.initial_delay_s * self.multiplier ** max(0, attempt))

    def delay_s(self, attempt: int, draw: Callable[[], float] = random.random) -> float:
        """A wait in [ceiling/2, ceiling]: browsers do not retry in lockstep."""
        ceiling = self.ceiling_s(attempt)
        return ceiling / 2 + draw() * (ceiling / 2)


# The app's policy for a dropped conversation (RESUME_POLICY, RESUME_MAX_ATTEMPTS).
RESUME_BACKOFF = Backoff()


def turns_kept(offered: Sequence[dict[str, str]], echoed: Sequence[ev.ChatMessage]) -> int:
    """How many of the offered turns open the server's history, in order and unchanged."""
    kept = 0
    for turn, message in zip(offered, echoed, strict=False):
        if (message.role, message.content) != (turn["role"], turn["content"]):
            break
        kept += 1
    return kept


class ResumeEvidence:
    """One resume as the new connections' events show it."""

    def __init__(self, offered: Sequence[dict[str, str]], dropped_at: float) -> None:
        self.offered = list(offered)
        self.dropped_at = dropped_at
        self.attempts = 0
        self.resumed_at: float | None = None
        self.echoed_at: float | None = None
        self.echoed: list[ev.ChatMessage] | None = None

    @property
    def resumed(self) -> bool:
        return self.resumed_at is not None

    def new_attempt(self) -> None:
        self.attempts += 1

    def on_event(self, at: float, event: ev.ServerEvent) -> None:
        """An event of the connection that is resuming (or resumed) the conversation."""
        match event:
            case ev.SessionUpdated() if self.resumed_at is None:
                self.resumed_at = at
            case ev.UnmuteAdditionalOutputs() if self.resumed and self.echoed is None:
                self.echoed_at = at
                self.echoed = list(event.args.chat_history)
            case _:
                pass

    def record(self, conversation: int, origin: float, close_code: int | None) -> ResumeRecord:
        kept = None if self.echoed is None else turns_kept(self.offered, self.echoed)
        return ResumeRecord(
            conversation=conversation,
            dropped_at=self.dropped_at - origin,
            close_code=close_code,
            attempts=self.attempts,
            resumed_after_s=_since(self.resumed_at, self.dropped_at),
            turns_offered=len(self.offered),
            turns_echoed=kept,
            history_accepted=None if kept is None else kept == len(self.offered),
            history_echoed_after_s=_since(self.echoed_at, self.dropped_at),
        )

    def describe(self) -> str:
        """A line for the report's issue list."""
        if self.resumed_at is None:
            return f"the connection dropped and was not resumed after {self.attempts} attempts"
        line = (
            f"resumed {self.resumed_at - self.dropped_at:.2f} s after the drop "
            f"({self.attempts} attempts), {len(self.offered)} turns offered"
        )
        if self.echoed is None:
            return line + ", no history came back"
        return line + f", {turns_kept(self.offered, self.echoed)} came back"


def _since(later: float | None, earlier: float) -> float | None:
    return None if later is None else later - earlier
