"""`unmute-ops loadtest URL`: simulated browsers against a deployment, with a report."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.console import Console
from rich.progress import BarColumn, Progress, TaskID, TextColumn, TimeElapsedColumn
from rich.table import Table

if TYPE_CHECKING:
    from loadtest.results import LevelResult, LoadTestReport
    from loadtest.runner import LevelProgress, LoadTestOptions

console = Console()

EXIT_PROTOCOL_ERRORS = 1
EXIT_NOT_RUN = 2


def parse_sweep(text: str | None) -> list[int]:
    """`"1,2,4,8"` → [1, 2, 4, 8]; empty or None → []."""
    if not text:
        return []
    try:
        levels = [int(part) for part in text.split(",") if part.strip()]
    except ValueError as error:
        raise typer.BadParameter(f"expected numbers separated by commas, got {text!r}") from error
    if any(level < 1 for level in levels):
        raise typer.BadParameter("every concurrency level must be at least 1")
    return levels


def loadtest(
    url: Annotated[
        str,
        typer.Argument(
            help="The deployment: http(s) or ws(s), with or without /api "
            "(e.g. http://localhost:8000, https://unmute.example.com)."
        ),
    ],
    clients: Annotated[
        int, typer.Option("--clients", "-c", min=1, help="Concurrent conversations.")
    ] = 1,
    duration: Annotated[
        float,
        typer.Option("--duration", "-d", min=1.0, help="Seconds per level (ramp-up included)."),
    ] = 60.0,
    out: Annotated[
        Path, typer.Option("--out", "-o", help="Directory for results.json, summary.md, PNGs.")
    ] = Path("loadtest-results"),
    ramp_up: Annotated[
        float, typer.Option(min=0.0, help="Seconds over which clients join (spread evenly).")
    ] = 0.0,
    sweep: Annotated[
        str | None,
        typer.Option(help="Run several concurrency levels in turn, e.g. 1,2,4,8 (overrides -c)."),
    ] = None,
    turns: Annotated[
        int, typer.Option(min=1, help="User turns per conversation before hanging up.")
    ] = 5,
    pause: Annotated[
        float, typer.Option(min=0.0, help="Silence (s) after each bot turn before speaking.")
    ] = 1.0,
    turn_timeout: Annotated[
        float, typer.Option(min=1.0, help="Seconds to wait for a bot turn before giving up.")
    ] = 30.0,
    clips: Annotated[
        Path | None,
        typer.Option(help="Directory of spoken clips (WAV, FLAC, MP3, Ogg); default: flite."),
    ] = None,
    voice: Annotated[str | None, typer.Option(help="Voice id for session.update.")] = None,
    character: Annotated[
        str | None, typer.Option(help="Instructions type, e.g. smalltalk or quiz_show.")
    ] = None,
    skip_health_check: Annotated[
        bool, typer.Option(help="Run even when /v1/health is not ok.")
    ] = False,
    insecure: Annotated[
        bool, typer.Option(help="Accept any TLS certificate (a test proxy's self-signed one).")
    ] = False,
    resume: Annotated[
        bool,
        typer.Option(help="Resume a dropped conversation with its history, as the app does."),
    ] = False,
) -> None:
    """Simulated browsers speaking real clips in real time; measures every stage."""
    # Only this command needs the load tester (and its plotting library): see the `loadtest`
    # extra of pyproject.toml.
    from loadtest.clips import ClipsUnavailableError
    from loadtest.endpoints import EndpointError
    from loadtest.report import write_report
    from loadtest.runner import HealthCheckFailed, LoadTestOptions

    options = LoadTestOptions(
        url=url,
        clients=clients,
        duration_s=duration,
        ramp_up_s=ramp_up,
        turns=turns,
        sweep=parse_sweep(sweep),
        pause_s=pause,
        turn_timeout_s=turn_timeout,
        clips_dir=clips,
        voice=voice,
        character=character,
        require_health=not skip_health_check,
        verify_tls=not insecure,
        resume=resume,
    )
    try:
        report = _run_with_progress(options)
    except (HealthCheckFailed, EndpointError, ClipsUnavailableError) as problem:
        console.print(f"[red]Load test not run:[/] {problem}")
        raise typer.Exit(EXIT_NOT_RUN) from problem
    files = write_report(report, out)
    console.print(_summary_table(report))
    console.print(f"Report: {files.markdown}  ·  data: {files.json}  ·  plots: {out}/*.png")
    protocol_errors = sum(level.summary.protocol_errors for level in report.levels if level.summary)
    if protocol_errors:
        console.print(f"[red]{protocol_errors} protocol errors[/]: see {files.markdown}")
        raise typer.Exit(EXIT_PROTOCOL_ERRORS)


def _run_with_progress(options: LoadTestOptions) -> LoadTestReport:
    from loadtest.runner import run_load_test

    progress = Progress(
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        TimeElapsedColumn(),
        TextColumn("{task.fields[status]}"),
        console=console,
    )
    tasks: dict[int, TaskID] = {}

    def show(update: LevelProgress) -> None:
        if update.concurrency not in tasks:
            tasks[update.concurrency] = progress.add_task(
                f"{update.concurrency} conversations", total=update.duration_s, status=""
            )
        v2v = update.voice_to_voice_p50_s
        status = (
            f"{update.active} live · {update.replies} replies · "
            f"v2v p50 {'–' if v2v is None else f'{v2v * 1000:.0f} ms'} · "
            f"{update.protocol_errors} protocol errors · {update.failures} failures"
        )
        progress.update(
            tasks[update.concurrency],
            completed=min(update.elapsed_s, update.duration_s),
            status=status,
        )

    with progress:
        return asyncio.run(run_load_test(options, on_progress=show))


def _summary_table(report: LoadTestReport) -> Table:
    table = Table(title="Voice-to-voice and errors per level")
    for column in ("conversations", "replies", "v2v p50", "v2v p95", "v2v p99", "gaps"):
        table.add_column(column, justify="right")
    table.add_column("protocol errors", justify="right")
    table.add_column("failures", justify="right")
    for level in report.levels:
        table.add_row(*_row(level))
    return table


def _row(level: LevelResult) -> list[str]:
    summary = level.summary
    if summary is None:
        return [str(level.concurrency)] + ["–"] * 7
    v2v = summary.stages["voice_to_voice"]

    def ms(value: float | None) -> str:
        return "–" if value is None else f"{value * 1000:.0f} ms"

    return [
        str(level.concurrency),
        str(summary.turns.get("reply", 0)),
        ms(v2v.p50),
        ms(v2v.p95),
        ms(v2v.p99),
        str(summary.reply_turns_with_gaps),
        str(summary.protocol_errors),
        str(summary.failures),
    ]
