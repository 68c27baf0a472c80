"""Writing a load test's results: `results.json`, `summary.md` and PNG plots."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from pathlib import Path

from loadtest.plots import plot_concurrency, plot_latency_distribution
from loadtest.results import STAGES, LevelResult, LoadTestReport, StageSummary

# Issues listed one by one in the summary, per level; the JSON holds every one.
MAX_LISTED_ISSUES = 20
# Beyond this lateness (p99) the generator's own timing distorts what it measures.
GENERATOR_LAG_WARNING_S = 0.05


@dataclass(frozen=True)
class ReportFiles:
    json: Path
    markdown: Path
    plots: list[Path]


def write_report(report: LoadTestReport, out_dir: Path) -> ReportFiles:
    out_dir.mkdir(parents=True, exist_ok=True)
    json_path = out_dir / "results.json"
    json_path.write_text(report.model_dump_json(indent=2))
    markdown_path = out_dir / "summary.md"
    markdown_path.write_text(markdown_summary(report))
    plots = [
        plot_latency_distribution(report, out_dir / "latency_distribution.png"),
        plot_concurrency(report, out_dir / "concurrency.png"),
    ]
    return ReportFiles(json=json_path, markdown=markdown_path, plots=plots)


def _ms(value: float | None) -> str:
    return "–" if value is None else f"{value * 1000:.0f}"


def _stage_row(name: str, summary: StageSummary) -> str:
    cells = [summary.p50, summary.p90, summary.p95, summary.p99, summary.max]
    return f"| {name} | {summary.count} | " + " | ".join(_ms(v) for v in cells) + " |"


def level_markdown(level: LevelResult) -> str:
    summary = level.summary
    if summary is None:
        return f"## {level.concurrency} concurrent conversations\n\n(no summary)\n"
    lines = [
        f"## {level.concurrency} concurrent conversations",
        "",
        f"{level.conversations} conversations in {level.duration_s:.0f} s; bot turns: "
        + ", ".join(f"{n} {kind}" for kind, n in sorted(summary.turns.items()))
        + "; outcomes: "
        + ", ".join(f"{n} {kind}" for kind, n in sorted(summary.outcomes.items())),
        "",
        "| stage (ms) | count | p50 | p90 | p95 | p99 | max |",
        "|---|---:|---:|---:|---:|---:|---:|",
        *(_stage_row(name, summary.stages[name]) for name in STAGES),
        "",
        f"- Audio gaps: {summary.reply_turns_with_gaps} reply turns with gaps, "
        f"{summary.gap_total_s * 1000:.0f} ms of gaps in all.",
        f"- TTS real-time factor (audio s per wall s, completed turns): p50 "
        f"{_factor(summary.tts_realtime_factor.p50)}, lowest "
        f"{_factor(_lowest(level))}.",
        f"- Load generator send lag p99: {_ms(summary.client_send_lag_p99_s)} ms"
        + (" (**the generator fell behind real time**)" if _generator_lagged(level) else "."),
        f"- Protocol errors: **{summary.protocol_errors}**; failures: **{summary.failures}**.",
    ]
    if summary.resumes is not None:
        resumes = summary.resumes
        lines.append(
            f"- Dropped connections: {resumes.drops}, resumed: **{resumes.resumed}** "
            f"(drop → session.updated p50 {_ms(resumes.resumed_after_s.p50)} ms, max "
            f"{_ms(resumes.resumed_after_s.max)} ms), every offered turn came back: "
            f"**{resumes.history_accepted}**."
        )
    if level.issues:
        lines += ["", "| issue | count | first example |", "|---|---:|---|"]
        examples: dict[str, str] = {}
        for issue in level.issues:
            examples.setdefault(issue.kind, issue.detail)
        for kind, count in Counter(issue.kind for issue in level.issues).most_common():
            lines.append(f"| {kind} | {count} | {_cell(examples[kind])} |")
        lines += ["", "First issues:", ""]
        for issue in level.issues[:MAX_LISTED_ISSUES]:
            lines.append(
                f"- {issue.at:7.2f} s, conversation {issue.conversation}: "
                f"{issue.kind}: {_cell(issue.detail)}"
            )
    return "\n".join(lines) + "\n"


def markdown_summary(report: LoadTestReport) -> str:
    config = report.config
    header = [
        "# Unmute load test",
        "",
        f"- Started: {report.started}",
        f"- Realtime endpoint: `{report.realtime_url}`; health: `{report.health_url}`",
        f"- Health: {report.health if report.health is not None else 'not ok or unreachable'}",
        f"- Levels: {', '.join(str(n) for n in config.sweep)} concurrent conversations, "
        f"{config.duration_s:g} s each (ramp-up {config.ramp_up_s:g} s), up to "
        f"{config.turns} user turns per conversation, {config.pause_s:g} s pause before "
        f"each, {len(config.clips)} clips"
        + (", dropped conversations resumed." if config.resume else "."),
        "",
        "Stages: " + "; ".join(f"`{name}` = {meaning}" for name, meaning in STAGES.items()) + ".",
        "",
    ]
    return "\n".join(header) + "\n" + "\n".join(level_markdown(level) for level in report.levels)


def _factor(value: float | None) -> str:
    return "–" if value is None else f"{value:.2f}"


def _lowest(level: LevelResult) -> float | None:
    factors = [t.tts_realtime_factor for t in level.turns if t.tts_realtime_factor is not None]
    return min(factors) if factors else None


def _generator_lagged(level: LevelResult) -> bool:
    lag = level.summary.client_send_lag_p99_s if level.summary else None
    return lag is not None and lag > GENERATOR_LAG_WARNING_S


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")[:200]
