"""Summaries and the written report, from a scripted level (no network)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from loadtest.report import markdown_summary, write_report
from loadtest.results import Issue, LevelResult, LoadTestReport, RunConfig, TurnRecord
from loadtest.stats import summarise, summarise_level


def test_percentiles_interpolate_between_samples() -> None:
    summary = summarise(float(v) for v in range(1, 101))
    assert summary.count == 100
    assert summary.p50 == pytest.approx(50.5)
    assert summary.p90 == pytest.approx(90.1)
    assert summary.p99 == pytest.approx(99.01)
    assert summary.max == 100.0
    assert summarise([]).p50 is None


def reply(conversation: int, v2v: float, gaps: int = 0) -> TurnRecord:
    return TurnRecord(
        conversation=conversation,
        index=1,
        kind="reply",
        outcome="completed",
        started_at=1.0,
        response_created=v2v - 0.2,
        first_llm_word=v2v - 0.1,
        voice_to_voice=v2v,
        tts_realtime_factor=1.1,
        gaps=gaps,
        gap_s=0.05 * gaps,
    )


def level(concurrency: int) -> LevelResult:
    result = LevelResult(
        concurrency=concurrency,
        duration_s=10.0,
        monotonic_origin=100.0,
        conversations=concurrency,
        turns=[reply(1, 0.4), reply(2, 0.5, gaps=2), reply(3, 0.6)],
        issues=[
            Issue(kind="order", detail="bot audio outside a bot turn", conversation=2, at=3.0),
            Issue(kind="turn_timeout", detail="no complete reply", conversation=3, at=9.0),
        ],
        send_lags_s=[0.001, 0.002],
    )
    result.summary = summarise_level(result)
    return result


def report() -> LoadTestReport:
    return LoadTestReport(
        started="2026-01-01T00:00:00+00:00",
        realtime_url="ws://h/v1/realtime",
        health_url="http://h/v1/health",
        health={"ok": True},
        config=RunConfig(
            url="http://h",
            clients=1,
            duration_s=10,
            ramp_up_s=0,
            turns=3,
            sweep=[1, 4],
            pause_s=1,
            turn_timeout_s=30,
            clips=["hello"],
            voice=None,
            instructions=None,
        ),
        levels=[level(1), level(4)],
    )


def test_a_level_summary_counts_errors_apart_from_failures() -> None:
    summary = level(2).summary
    assert summary is not None
    assert summary.stages["voice_to_voice"].p50 == pytest.approx(0.5)
    assert summary.stages["first_transcript_word"].count == 0
    assert (summary.protocol_errors, summary.failures) == (1, 1)
    assert summary.reply_turns_with_gaps == 1
    assert summary.gap_total_s == pytest.approx(0.1)
    assert summary.turns == {"reply": 3}


def test_the_markdown_summary_has_a_row_per_stage_and_lists_issues() -> None:
    text = markdown_summary(report())
    assert "| voice_to_voice | 3 | 500 |" in text
    assert "| first_transcript_word | 0 | – |" in text
    assert "## 4 concurrent conversations" in text
    assert "| order | 1 | bot audio outside a bot turn |" in text
    assert "Protocol errors: **1**; failures: **1**" in text


def test_write_report_writes_json_markdown_and_plots(tmp_path: Path) -> None:
    files = write_report(report(), tmp_path / "out")
    assert json.loads(files.json.read_text())["levels"][1]["concurrency"] == 4
    assert files.markdown.read_text().startswith("# Unmute load test")
    assert [p.name for p in files.plots] == ["latency_distribution.png", "concurrency.png"]
    for plot in files.plots:
        assert plot.read_bytes()[:4] == b"\x89PNG"
