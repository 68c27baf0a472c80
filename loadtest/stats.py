"""Percentiles per stage and the other figures of one concurrency level."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence

import numpy as np

from loadtest.results import (
    NOTICES,
    PROTOCOL_ISSUES,
    STAGES,
    LevelResult,
    LevelSummary,
    ResumeRecord,
    ResumeSummary,
    StageSummary,
)

PERCENTILES = (50, 90, 95, 99)


def summarise(values: Iterable[float]) -> StageSummary:
    """Count, p50/p90/p95/p99, mean and max of `values` (linear interpolation)."""
    data = np.fromiter(values, dtype=np.float64)
    if data.size == 0:
        return StageSummary(count=0)
    p50, p90, p95, p99 = (float(v) for v in np.percentile(data, PERCENTILES))
    return StageSummary(
        count=int(data.size),
        p50=p50,
        p90=p90,
        p95=p95,
        p99=p99,
        mean=float(data.mean()),
        max=float(data.max()),
    )


def percentile(values: Sequence[float], q: float) -> float | None:
    return float(np.percentile(values, q)) if len(values) else None


def summarise_level(level: LevelResult) -> LevelSummary:
    """Latency stages of completed turns; gaps and real-time factor of replies."""
    stages: dict[str, StageSummary] = {}
    for name in STAGES:
        stages[name] = summarise(
            value for turn in level.turns if (value := turn.stage(name)) is not None
        )
    replies = [turn for turn in level.turns if turn.kind == "reply"]
    issues = Counter(issue.kind for issue in level.issues)
    protocol_errors = sum(n for kind, n in issues.items() if kind in PROTOCOL_ISSUES)
    notices = sum(n for kind, n in issues.items() if kind in NOTICES)
    return LevelSummary(
        stages=stages,
        turns=dict(Counter(turn.kind for turn in level.turns)),
        outcomes=dict(Counter(turn.outcome for turn in level.turns)),
        reply_turns_with_gaps=sum(1 for turn in replies if turn.gaps),
        gap_total_s=sum(turn.gap_s for turn in level.turns),
        tts_realtime_factor=summarise(
            turn.tts_realtime_factor
            for turn in level.turns
            if turn.tts_realtime_factor is not None and turn.outcome == "completed"
        ),
        protocol_errors=protocol_errors,
        failures=sum(issues.values()) - protocol_errors - notices,
        issues_by_kind=dict(issues),
        client_send_lag_p99_s=percentile(level.send_lags_s, 99),
        resumes=summarise_resumes(level.resumes),
    )


def summarise_resumes(resumes: Sequence[ResumeRecord]) -> ResumeSummary | None:
    """How many drops were resumed, how fast, and with their whole history; None: none."""
    if not resumes:
        return None
    return ResumeSummary(
        drops=len(resumes),
        resumed=sum(1 for r in resumes if r.resumed_after_s is not None),
        history_accepted=sum(1 for r in resumes if r.history_accepted),
        resumed_after_s=summarise(
            r.resumed_after_s for r in resumes if r.resumed_after_s is not None
        ),
    )
