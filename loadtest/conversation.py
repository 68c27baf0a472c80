"""One simulated user's conversation: connect, hear the greeting, then take turns.

Each turn the user waits a moment (the microphone keeps sending silence), says the
next clip in real time, and waits for the bot's whole reply before going on. The
conversation ends after its turns, at the end of the test, or when the server ends it.
With `resume`, a connection that drops is followed by a new one that offers the
transcript kept so far as `session.history`, as the browser app does; the turn the drop
cut short is asked again.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from backend.realtime import events as ev
from loadtest.connection import ConnectFailed, RealtimeConnection
from loadtest.ogg_opus import EncodedClip, OpusHeaders
from loadtest.results import Issue, IssueKind, ResumeRecord, TurnRecord
from loadtest.resume import RESUME_BACKOFF, Backoff, ResumeEvidence
from loadtest.transcript import Transcript
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
    resume: bool = False
    """Resume a dropped conversation on a new connection, as the browser app does."""
    resume_backoff: Backoff = RESUME_BACKOFF


@dataclass
class ConversationOutcome:
    turns: list[TurnRecord] = field(default_factory=list)
    send_lags: list[float] = field(default_factory=list)
    resumes: list[ResumeRecord] = field(default_factory=list)
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
    held = _Conversation(plan, conversation, origin, stop_at, report, on_open)
    outcome = ConversationOutcome()
    connection = held.connection(first_index=0, greets=True)
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
    greet = True
    try:
        while True:
            try:
                finished = await held.take_turns(connection, greet=greet)
            finally:
                await held.hang_up(connection, outcome)
            if not connection.dropped:
                outcome.finished = finished
                return outcome
            resumed = await held.resume(connection, outcome)
            if resumed is None:
                return outcome
            connection, greet = resumed
    finally:
        outcome.resumes = held.resume_records()


class _Conversation:
    """What outlives each connection: the transcript, the turns answered, the resumes."""

    def __init__(
        self,
        plan: ConversationPlan,
        number: int,
        origin: float,
        stop_at: float,
        report: Callable[[Issue], None],
        on_open: Callable[[RealtimeConnection], None] | None,
    ) -> None:
        self.plan = plan
        self.number = number
        self.origin = origin
        self.stop_at = stop_at
        self.report = report
        self.on_open = on_open
        self.transcript = Transcript()
        self.answered = 0
        self.resumes: list[tuple[ResumeEvidence, int | None]] = []

    def connection(
        self, *, first_index: int, greets: bool, evidence: ResumeEvidence | None = None
    ) -> RealtimeConnection:
        def observe(at: float, event: ev.ServerEvent) -> None:
            self.transcript.on_event(event)
            if evidence is not None:
                evidence.on_event(at, event)

        return RealtimeConnection(
            self.plan.realtime_url,
            conversation=self.number,
            origin=self.origin,
            opus_headers=self.plan.opus_headers,
            silence_packet=self.plan.silence_packet,
            report=self.report,
            verify_tls=self.plan.verify_tls,
            tracker=TurnTracker(self.number, self.origin, first_index=first_index, greets=greets),
            observe=observe,
            resumable_drops=self.plan.resume,
        )

    async def hang_up(self, connection: RealtimeConnection, outcome: ConversationOutcome) -> None:
        await connection.close()
        outcome.turns.extend(connection.tracker.turns)
        outcome.send_lags.extend(connection.send_lags)

    async def take_turns(self, connection: RealtimeConnection, *, greet: bool) -> bool:
        """The greeting (when one is due), then the turns not yet answered; False when the
        conversation broke off early."""
        plan, tracker = self.plan, connection.tracker
        if greet:
            await connection.start_session(plan.session)
            greeted = await connection.wait_until(
                lambda: bool(tracker.turns) and not tracker.in_bot_turn, plan.turn_timeout_s
            )
            if not greeted:
                if connection.closed:
                    return connection.ended_by_server
                connection.issue("turn_timeout", f"no greeting within {plan.turn_timeout_s:g} s")
                return False
        while self.answered < plan.turns:
            if time.monotonic() + plan.pause_s >= self.stop_at:
                return True
            if connection.closed or await connection.wait_until(
                lambda: connection.closed, plan.pause_s
            ):
                return connection.ended_by_server
            clip = plan.clips[(self.number + self.answered) % len(plan.clips)]
            replied = _a_bot_turn_ends_after(tracker)
            try:
                await connection.say(clip)
            except ConnectionError:
                return connection.ended_by_server
            answered = await connection.wait_until(replied, plan.turn_timeout_s)
            if not answered:
                if connection.closed:
                    return connection.ended_by_server
                connection.issue(
                    "turn_timeout", f"no complete reply within {plan.turn_timeout_s:g} s"
                )
                return False
            self.answered += 1
        return True

    async def resume(
        self, dropped: RealtimeConnection, outcome: ConversationOutcome
    ) -> tuple[RealtimeConnection, bool] | None:
        """Connect again with backoff until a server takes the session, offering the
        transcript as history; the new connection and whether a greeting is due (nothing
        was said yet), or None when no server took the conversation."""
        self.transcript.connection_dropped()
        history = self.transcript.history()
        evidence = ResumeEvidence(history, dropped.closed_at or time.monotonic())
        self.resumes.append((evidence, dropped.close_code))
        session = {**self.plan.session, "history": history} if history else self.plan.session
        backoff = self.plan.resume_backoff
        for attempt in range(backoff.max_attempts):
            await asyncio.sleep(backoff.delay_s(attempt))
            evidence.new_attempt()
            connection = self.connection(
                first_index=dropped.tracker.next_index, greets=not history, evidence=evidence
            )
            try:
                await connection.open()
            except ConnectFailed:
                continue  # a server restarting refuses or is not there yet: try again
            if self.on_open is not None:
                self.on_open(connection)
            if history:
                await connection.start_session(session)
                if await connection.wait_until(lambda: evidence.resumed, self.plan.turn_timeout_s):
                    return connection, False
            else:
                # Nothing to offer: a new session, which the server greets.
                return connection, True
            await self.hang_up(connection, outcome)
            if not connection.dropped:
                return None
        return None

    def resume_records(self) -> list[ResumeRecord]:
        """Each resume, also reported as an issue: `resumed`, or `dropped` (a failure)."""
        records = []
        for evidence, close_code in self.resumes:
            record = evidence.record(self.number, self.origin, close_code)
            kind: IssueKind = "resumed" if evidence.resumed else "dropped"
            detail = f"close {close_code}: {evidence.describe()}"
            self.report(
                Issue(kind=kind, detail=detail, conversation=self.number, at=record.dropped_at)
            )
            records.append(record)
        return records


def _a_bot_turn_ends_after(tracker: TurnTracker) -> Callable[[], bool]:
    """A condition: a bot turn has ended since now, and no other is under way."""
    turns_before = len(tracker.turns)
    return lambda: len(tracker.turns) > turns_before and not tracker.in_bot_turn
