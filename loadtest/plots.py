"""PNG plots of a load test: latency per stage, and latency and errors versus concurrency."""

from __future__ import annotations

from pathlib import Path

import matplotlib
from matplotlib.figure import Figure

from loadtest.results import STAGES, LevelResult, LoadTestReport

# The stages of a reply, in the order they happen; the greeting is plotted apart.
REPLY_STAGES = [name for name in STAGES if name != "greeting_first_audio"]
_DPI = 110


def _stage_values_ms(level: LevelResult, stage: str) -> list[float]:
    return [v * 1000 for t in level.turns if (v := t.stage(stage)) is not None]


def plot_latency_distribution(report: LoadTestReport, path: Path) -> Path:
    """One box per stage and level: where each stage's latencies lie."""
    levels = report.levels
    # Figure objects, not pyplot: no global state and no display backend needed.
    figure = Figure(figsize=(10, 5.5))
    axes = figure.subplots()
    width = 0.8 / max(1, len(levels))
    handles = []
    for offset, level in enumerate(levels):
        data = [_stage_values_ms(level, stage) for stage in REPLY_STAGES]
        positions = [i + (offset - (len(levels) - 1) / 2) * width for i in range(len(data))]
        present = [(p, d) for p, d in zip(positions, data, strict=True) if d]
        if not present:
            continue
        boxes = axes.boxplot(
            [d for _, d in present],
            positions=[p for p, _ in present],
            widths=width * 0.9,
            whis=(1, 99),
            showfliers=True,
            patch_artist=True,
            flierprops={"markersize": 2},
        )
        color = matplotlib.colormaps["viridis"](
            offset / max(1, len(levels) - 1) if len(levels) > 1 else 0.3
        )
        for box in boxes["boxes"]:
            box.set_facecolor(color)
        handles.append((boxes["boxes"][0], f"{level.concurrency} conversations"))
    axes.set_xticks(range(len(REPLY_STAGES)), [s.replace("_", "\n") for s in REPLY_STAGES])
    axes.set_ylabel("latency (ms)")
    axes.set_title("Latency per stage (box: p25–p75, whiskers: p1–p99)")
    axes.grid(axis="y", alpha=0.3)
    if handles:
        axes.legend([h for h, _ in handles], [label for _, label in handles], loc="upper left")
    figure.tight_layout()
    figure.savefig(path, dpi=_DPI)
    return path


def plot_concurrency(report: LoadTestReport, path: Path) -> Path:
    """Top: p50 and p95 of each reply stage per level. Bottom: errors and gaps per level.
    Levels sit at evenly spaced positions (sweeps usually double), labelled by count."""
    levels = sorted(report.levels, key=lambda level: level.concurrency)
    positions = list(range(len(levels)))
    figure = Figure(figsize=(9, 8))
    latency, errors = figure.subplots(2, 1, sharex=True)
    for stage in REPLY_STAGES:
        p50 = [_p(level, stage, "p50") for level in levels]
        p95 = [_p(level, stage, "p95") for level in levels]
        (line,) = latency.plot(positions, p50, marker="o", label=f"{stage} (p50, p95 dashed)")
        latency.plot(positions, p95, marker="x", linestyle="--", color=line.get_color())
    latency.set_ylabel("latency (ms)")
    latency.set_title("Latency versus concurrency")
    latency.grid(alpha=0.3)
    latency.legend(fontsize=8, loc="upper left")

    counts = {
        "protocol errors": [_count(level, "protocol_errors") for level in levels],
        "failures": [_count(level, "failures") for level in levels],
        "replies with audio gaps": [_count(level, "reply_turns_with_gaps") for level in levels],
    }
    width = 0.8 / len(counts)
    for index, (label, values) in enumerate(counts.items()):
        shifted = [p + (index - (len(counts) - 1) / 2) * width for p in positions]
        errors.bar(shifted, values, width, label=label)
    errors.set_xticks(positions, [str(level.concurrency) for level in levels])
    highest = max((max(values) for values in counts.values()), default=0)
    errors.set_ylim(0, max(1, highest) * 1.15)
    errors.set_xlabel("concurrent conversations")
    errors.set_ylabel("count")
    errors.set_title("Errors versus concurrency")
    errors.grid(axis="y", alpha=0.3)
    errors.legend(fontsize=8)
    figure.tight_layout()
    figure.savefig(path, dpi=_DPI)
    return path


def _count(level: LevelResult, field: str) -> int:
    return 0 if level.summary is None else int(getattr(level.summary, field))


def _p(level: LevelResult, stage: str, which: str) -> float:
    summary = level.summary
    if summary is None:
        return float("nan")
    value = getattr(summary.stages[stage], which)
    return float("nan") if value is None else value * 1000
