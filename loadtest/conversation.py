"""One simulated user's conversation: connect, hear the greeting, then take turns.

Each turn the user waits a moment (the microphone keeps sending silence), says the
next clip in real time, and waits for the bot's whole reply before going on. The
conversation ends after its turns, at the end of the test, or when the server ends it.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from loadtest.connection import ConnectFailed, RealtimeConnection
from loadtest.ogg_opus import EncodedClip, OpusHeaders
from loadtest.results import Issue, TurnRecord
from loadtest.turns import TurnTracker


@dataclass(frozen=True)
class ConversationPlan:
    realtime_url: str
    clips: Sequence[EncodedClip]
    opus_headers: OpusHeaders
    silence_packet: bytes
    turns: int
    pause_s: float
    turn_timeout_s: float
    session: dict[str, Any]
    verify_tls: bool = True
    """False accepts any certificate (a local proxy's self-signed one)."""


@dataclass
class ConversationOutcome:
    turns: list[TurnRecord] = field(default_factory=list)
    send_lags: list[float] = field(default_factory=list)
    refused: bool = False
    connected: bool = False
    finished: bool = False
    """Every planned turn was taken, or the test's time was up: nothing went wrong."""


async def hold_conversation(
    plan: ConversationPlan,
    conversation: int,
    *,
    origin: float,
    stop_at: float,
    report: Callable[[Issue], None],
    on_open: Callable[[RealtimeConnection], None] | None = None,
) -> ConversationOutcome:
    """Hold one conversation; issues go to `report` as they happen."""
    outcome = ConversationOutcome()
    connection = RealtimeConnection(
        plan.realtime_url,
        conversation=conversation,
        origin=origin,
        opus_headers=plan.opus_headers,
        silence_packet=plan.silence_packet,
        report=report,
        verify_tls=plan.verify_tls,
    )
    try:
        await connection.open()
    except ConnectFailed as failure:
        at = time.monotonic() - origin
        report(Issue(kind=failure.kind, detail=failure.detail, conversation=conversation, at=at))
        outcome.refused = failure.kind == "refused"
        return outcome
    outcome.connected = True
    if on_open is not None:
        on_open(connection)
    try:
        outcome.finished = await _take_turns(plan, connection, conversation, stop_at)
    finally:
        await connection.close()
        outcome.turns = connection.tracker.turns
        outcome.send_lags = connection.send_lags
    return outcome


def _a_bot_turn_ends_after(tracker: TurnTracker) -> Callable[[], bool]:
    """A condition: a bot turn has ended since now, and no other is under way."""
    turns_before = len(tracker.turns)
    return lambda: len(tracker.turns) > turns_before and not tracker.in_bot_turn


async def _take_turns(
    plan: ConversationPlan, connection: RealtimeConnection, conversation: int, stop_at: float
) -> bool:
    """Greeting, then the planned turns; False when the conversation broke off early."""
    tracker = connection.tracker
    await connection.start_session(plan.session)
    greeted = await connection.wait_until(
        lambda: bool(tracker.turns) and not tracker.in_bot_turn, plan.turn_timeout_s
    )
    if not greeted:
        if connection.closed:
            return connection.ended_by_server
        connection.issue("turn_timeout", f"no greeting within {plan.turn_timeout_s:g} s")
        return False
    for turn in range(plan.turns):
        if time.monotonic() + plan.pause_s >= stop_at:
            return True
        if connection.closed or await connection.wait_until(
            lambda: connection.closed, plan.pause_s
        ):
            return connection.ended_by_server
        clip = plan.clips[(conversation + turn) % len(plan.clips)]
        replied = _a_bot_turn_ends_after(tracker)
        try:
            await connection.say(clip)
        except ConnectionError:
            return connection.ended_by_server
        answered = await connection.wait_until(replied, plan.turn_timeout_s)
        if not answered:
            if connection.closed:
                return connection.ended_by_server
            connection.issue("turn_timeout", f"no complete reply within {plan.turn_timeout_s:g} s")
            return False
    return True
