"""Many simulated users at once: ramp-up, a bounded duration, concurrency sweeps.

Each of the N client slots starts after its share of the ramp-up and holds
conversations back to back until the duration is over; a turn in progress then gets
up to the turn timeout to finish before everything is hung up.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx

from loadtest.clips import load_clips
from loadtest.connection import RealtimeConnection
from loadtest.conversation import ConversationPlan, hold_conversation
from loadtest.endpoints import Endpoints, discover_endpoints
from loadtest.ogg_opus import encode_clip, encode_silence
from loadtest.results import (
    NOTICES,
    PROTOCOL_ISSUES,
    Issue,
    LevelResult,
    LoadTestReport,
    ResumeRecord,
    RunConfig,
    TurnRecord,
)
from loadtest.stats import percentile, summarise_level

# After a refused, failed or broken conversation the user tries again after this, like
# someone pressing a retry button: a failing server is not hammered in a tight loop.
RETRY_AFTER_FAILURE_S = 1.0
# After the turn timeout, conversations still open are hung up without more waiting.
DRAIN_GRACE_S = 5.0
# Between sweep levels, so the backend has released every seat of the previous level.
SETTLE_BETWEEN_LEVELS_S = 2.0
PROGRESS_INTERVAL_S = 0.5
HEALTH_TIMEOUT_S = 10.0


@dataclass(frozen=True)
class LoadTestOptions:
    url: str
    clients: int = 1
    duration_s: float = 60.0
    ramp_up_s: float = 0.0
    turns: int = 5
    sweep: Sequence[int] = ()
    pause_s: float = 1.0
    turn_timeout_s: float = 30.0
    clips_dir: Path | None = None
    voice: str | None = None
    character: str | None = None
    require_health: bool = True
    verify_tls: bool = True
    resume: bool = False
    """A dropped conversation is resumed on a new connection, as the browser app does."""

    @property
    def levels(self) -> list[int]:
        return list(self.sweep) if self.sweep else [self.clients]

    def session(self) -> dict[str, Any]:
        session: dict[str, Any] = {"allow_recording": False}
        if self.voice:
            session["voice"] = self.voice
        if self.character:
            session["instructions"] = {"type": self.character}
        return session


@dataclass(frozen=True)
class LevelProgress:
    concurrency: int
    elapsed_s: float
    duration_s: float
    active: int
    conversations: int
    replies: int
    protocol_errors: int
    failures: int
    voice_to_voice_p50_s: float | None


class HealthCheckFailed(RuntimeError):
    pass


@dataclass
class _LevelCollector:
    origin: float
    turns: list[TurnRecord] = field(default_factory=list)
    issues: list[Issue] = field(default_factory=list)
    send_lags: list[float] = field(default_factory=list)
    resumes: list[ResumeRecord] = field(default_factory=list)
    conversations: int = 0
    live: set[RealtimeConnection] = field(default_factory=set)

    def next_conversation(self) -> int:
        self.conversations += 1
        return self.conversations

    def progress(self, concurrency: int, duration_s: float) -> LevelProgress:
        finished = [t for t in self.turns if t.kind == "reply"]
        ongoing = [t for c in self.live for t in c.tracker.turns if t.kind == "reply"]
        replies = finished + ongoing
        protocol = sum(1 for issue in self.issues if issue.kind in PROTOCOL_ISSUES)
        notices = sum(1 for issue in self.issues if issue.kind in NOTICES)
        recent = [t.voice_to_voice for t in replies[-200:] if t.voice_to_voice is not None]
        return LevelProgress(
            concurrency=concurrency,
            elapsed_s=time.monotonic() - self.origin,
            duration_s=duration_s,
            active=len(self.live),
            conversations=self.conversations,
            replies=len(replies),
            protocol_errors=protocol,
            failures=len(self.issues) - protocol - notices,
            voice_to_voice_p50_s=percentile(recent, 50),
        )


async def run_level(
    plan: ConversationPlan,
    concurrency: int,
    *,
    duration_s: float,
    ramp_up_s: float = 0.0,
    on_progress: Callable[[LevelProgress], None] | None = None,
) -> LevelResult:
    """`concurrency` users holding conversations for `duration_s`; a summarised result."""
    if concurrency < 1:
        raise ValueError("concurrency must be at least 1")
    origin = time.monotonic()
    stop_at = origin + duration_s
    collector = _LevelCollector(origin=origin)

    async def client_slot(slot: int) -> None:
        await asyncio.sleep(ramp_up_s * slot / concurrency)
        while time.monotonic() < stop_at:
            outcome = await hold_conversation(
                plan,
                collector.next_conversation(),
                origin=origin,
                stop_at=stop_at,
                report=collector.issues.append,
                on_open=collector.live.add,
            )
            collector.turns.extend(outcome.turns)
            collector.resumes.extend(outcome.resumes)
            if (lag := percentile(outcome.send_lags, 99)) is not None:
                collector.send_lags.append(lag)
            collector.live.difference_update([c for c in collector.live if c.closed])
            if not outcome.finished:
                await asyncio.sleep(
                    min(RETRY_AFTER_FAILURE_S, max(0.0, stop_at - time.monotonic()))
                )

    async def report_progress() -> None:
        while on_progress is not None:
            on_progress(collector.progress(concurrency, duration_s))
            await asyncio.sleep(PROGRESS_INTERVAL_S)

    reporter = asyncio.create_task(report_progress())
    slots = [asyncio.create_task(client_slot(slot)) for slot in range(concurrency)]
    _, unfinished = await asyncio.wait(
        slots, timeout=duration_s + plan.turn_timeout_s + DRAIN_GRACE_S
    )
    for task in unfinished:
        task.cancel()
    await asyncio.gather(*slots, return_exceptions=True)
    reporter.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await reporter
    if on_progress is not None:
        on_progress(collector.progress(concurrency, duration_s))
    result = LevelResult(
        concurrency=concurrency,
        duration_s=time.monotonic() - origin,
        monotonic_origin=origin,
        conversations=collector.conversations,
        turns=sorted(collector.turns, key=lambda t: (t.conversation, t.index)),
        issues=sorted(collector.issues, key=lambda i: i.at),
        send_lags_s=collector.send_lags,
        resumes=sorted(collector.resumes, key=lambda r: r.dropped_at),
    )
    result.summary = summarise_level(result)
    return result


async def check_health(http: httpx.AsyncClient, endpoints: Endpoints) -> dict[str, object]:
    """The deployment's `/v1/health` answer; raises `HealthCheckFailed` when not ok."""
    try:
        answer = await http.get(endpoints.health_url, timeout=HEALTH_TIMEOUT_S)
        body = answer.json()
    except (httpx.HTTPError, ValueError) as error:
        raise HealthCheckFailed(f"{endpoints.health_url} did not answer: {error}") from error
    if not isinstance(body, dict) or not body.get("ok"):
        raise HealthCheckFailed(f"{endpoints.health_url} reports a problem: {body}")
    return body


async def run_load_test(
    options: LoadTestOptions,
    *,
    on_progress: Callable[[LevelProgress], None] | None = None,
    on_level: Callable[[LevelResult], None] | None = None,
) -> LoadTestReport:
    """Check health, then run each concurrency level in turn."""
    started = datetime.now(UTC).isoformat(timespec="seconds")
    # Proxy variables apply, as they do to the WebSocket connections (and to browsers).
    async with httpx.AsyncClient(verify=options.verify_tls) as http:
        endpoints = await discover_endpoints(options.url, http)
        health: dict[str, object] | None = None
        try:
            health = await check_health(http, endpoints)
        except HealthCheckFailed:
            if options.require_health:
                raise
    clips = load_clips(options.clips_dir)
    headers, silence = encode_silence()
    plan = ConversationPlan(
        realtime_url=endpoints.realtime_url,
        clips=[encode_clip(clip.text, clip.pcm) for clip in clips],
        opus_headers=headers,
        silence_packet=silence,
        turns=options.turns,
        pause_s=options.pause_s,
        turn_timeout_s=options.turn_timeout_s,
        session=options.session(),
        verify_tls=options.verify_tls,
        resume=options.resume,
    )
    levels: list[LevelResult] = []
    for number, concurrency in enumerate(options.levels):
        if number:
            await asyncio.sleep(SETTLE_BETWEEN_LEVELS_S)
        level = await run_level(
            plan,
            concurrency,
            duration_s=options.duration_s,
            ramp_up_s=options.ramp_up_s,
            on_progress=on_progress,
        )
        levels.append(level)
        if on_level is not None:
            on_level(level)
    return LoadTestReport(
        started=started,
        realtime_url=endpoints.realtime_url,
        health_url=endpoints.health_url,
        health=health,
        config=RunConfig(
            url=options.url,
            clients=options.clients,
            duration_s=options.duration_s,
            ramp_up_s=options.ramp_up_s,
            turns=options.turns,
            sweep=options.levels,
            pause_s=options.pause_s,
            turn_timeout_s=options.turn_timeout_s,
            clips=[clip.text for clip in clips],
            voice=options.voice,
            instructions=options.character,
            resume=options.resume,
        ),
        levels=levels,
    )
