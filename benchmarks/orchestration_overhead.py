"""What one backend process costs per conversation, and where it stops keeping up.

One backend process (`unmute-ops serve backend`, `UNMUTE_MAX_SESSIONS` = the largest
level) talks to speech and LLM servers with fixed, known latencies
(`benchmarks.fixed_latency`); the load tester drives N real-time conversations of
spoken clips. For each level it reports:

- orchestration overhead per reply: the sum of the backend's own hops on the reply's
  path (`benchmarks.reply_path`); voice-to-voice minus the overhead is time spent
  inside the servers or waiting for real-time audio;
- backend CPU seconds per conversation-minute and resident memory per conversation,
  over the window in which all N conversations are live;
- audio gaps, latency growth and the load generator's own lateness: the knee.

    python -m benchmarks.orchestration_overhead --levels 1,4,16,64 --duration 60 \\
        --out benchmarks/results/overhead
    # Profiles in a run of their own: py-spy pauses the backend at every sample.
    python -m benchmarks.orchestration_overhead --levels 16 --duration 30 \\
        --profile 16 --out benchmarks/results/profile
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import shlex
import sys
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import httpx
import numpy as np

from benchmarks.benchmark_stack import Stack, benchmark_stack
from benchmarks.process_stats import ProcessSample, host_busy_cores, sample_host, sample_process
from benchmarks.profile_summary import profile_markdown, summarise_profile
from benchmarks.reply_path import HOPS, turn_hops
from loadtest.clips import load_clips
from loadtest.conversation import ConversationPlan
from loadtest.ogg_opus import encode_clip, encode_silence
from loadtest.results import LevelResult
from loadtest.runner import run_level

# After this long every conversation of a level has connected and heard its greeting.
WARM_UP_S = 20.0  # unmeasured conversations before the first level
STEADY_AFTER_S = 8.0
# A level "holds" when no reply has an audio gap and median voice-to-voice grew by less
# than this over one conversation: a listener notices a tenth of a second more.
KNEE_V2V_GROWTH_S = 0.1
TURNS_PER_CONVERSATION = 1000  # one conversation per client for the whole level
IDLE_SAMPLE_S = 5.0
SETTLE_BETWEEN_LEVELS_S = 3.0
PROFILE_RATE_HZ = 100


@dataclass
class LevelFigures:
    concurrency: int
    replies: int
    voice_to_voice_ms: dict[str, float | None]
    overhead_ms: dict[str, float | None]
    hops_ms: dict[str, dict[str, float | None]]
    inside_ms: dict[str, float | None]
    replies_with_gaps: int
    gap_total_ms: float
    protocol_errors: int
    failures: int
    backend_cores: float
    cpu_s_per_conversation_minute: float
    backend_rss_mib: float
    host_busy_cores: float
    servers_cores: float
    generator_cores: float
    generator_send_lag_p99_ms: float | None
    rss_mib_per_conversation: float = 0.0
    profile: str | None = None
    issues: dict[str, int] = field(default_factory=dict)


def _quantiles_ms(values: list[float]) -> dict[str, float | None]:
    if not values:
        return {"p50": None, "p99": None}
    p50, p99 = np.percentile(np.asarray(values) * 1000, [50, 99])
    return {"p50": round(float(p50), 2), "p99": round(float(p99), 2)}


async def _profile(pid: int, seconds: float, output: Path) -> None:
    """py-spy on the backend, native frames included (libopus, uvloop, zlib show up by
    name, even when they run without the GIL); waits for I/O are dropped when summed."""
    process = await asyncio.create_subprocess_exec(
        str(Path(sys.executable).with_name("py-spy")),
        *("record", "--pid", str(pid), "--rate", str(PROFILE_RATE_HZ), "--native"),
        *("--duration", str(max(1, int(seconds))), "--format", "raw"),
        *("--output", str(output)),
        stdout=asyncio.subprocess.DEVNULL,
        stderr=asyncio.subprocess.DEVNULL,
    )
    await process.wait()


def _snapshot(stack: Stack) -> dict[str, Any]:
    servers = [sample_process(server.pid) for server in stack.servers.values()]
    return {
        "backend": sample_process(stack.backend.pid),
        "servers": ProcessSample(
            cpu_s=sum(s.cpu_s for s in servers), rss_mib=sum(s.rss_mib for s in servers)
        ),
        "generator": sample_process(os.getpid()),
        "host": sample_host(),
        "at": time.monotonic(),
    }


async def measure_level(
    stack: Stack,
    plan: ConversationPlan,
    concurrency: int,
    duration_s: float,
    profile_to: Path | None,
) -> tuple[LevelFigures, LevelResult, dict[str, Any]]:
    async with httpx.AsyncClient(trust_env=False) as http:
        await stack.trace(http, reset=True)
    window: dict[str, Any] = {}

    async def watch_steady_window() -> None:
        await asyncio.sleep(STEADY_AFTER_S)
        window["start"] = _snapshot(stack)
        steady_s = duration_s - STEADY_AFTER_S
        profiler = None
        if profile_to is not None:
            profiler = asyncio.create_task(_profile(stack.backend.pid, steady_s - 1, profile_to))
        peak = 0.0
        while time.monotonic() - window["start"]["at"] < steady_s:
            peak = max(peak, sample_process(stack.backend.pid).rss_mib)
            await asyncio.sleep(1.0)
        window["end"] = _snapshot(stack)
        window["rss_peak"] = peak
        if profiler is not None:
            await profiler

    level, _ = await asyncio.gather(
        run_level(plan, concurrency, duration_s=duration_s), watch_steady_window()
    )
    async with httpx.AsyncClient(trust_env=False) as http:
        trace = await stack.trace(http)
    return _figures(level, trace, window, profile_to), level, trace


def _figures(
    level: LevelResult, trace: dict[str, Any], window: dict[str, Any], profile_to: Path | None
) -> LevelFigures:
    summary = level.summary
    assert summary is not None
    origin = level.monotonic_origin
    replies = [t for t in level.turns if t.kind == "reply" and t.outcome == "completed"]
    traced = [(t, h) for t in replies if (h := turn_hops(t, origin, trace)) is not None]
    start, end = window["start"], window["end"]
    seconds: float = end["at"] - start["at"]

    def cores(process: str) -> float:
        used: float = end[process].cpu_s - start[process].cpu_s
        return used / seconds

    backend_cpu_s = end["backend"].cpu_s - start["backend"].cpu_s
    profile = None
    if profile_to is not None and profile_to.exists():
        profile = profile_markdown(
            summarise_profile(profile_to.read_text()),
            f"Backend profile at {level.concurrency} conversations",
        )
    lag = summary.client_send_lag_p99_s
    return LevelFigures(
        concurrency=level.concurrency,
        replies=len(replies),
        voice_to_voice_ms=_quantiles_ms([t.voice_to_voice for t in replies if t.voice_to_voice]),
        overhead_ms=_quantiles_ms([sum(h.values()) for _, h in traced]),
        hops_ms={hop: _quantiles_ms([h[hop] for _, h in traced]) for hop in HOPS},
        inside_ms=_quantiles_ms(
            [t.voice_to_voice - sum(h.values()) for t, h in traced if t.voice_to_voice]
        ),
        replies_with_gaps=summary.reply_turns_with_gaps,
        gap_total_ms=round(summary.gap_total_s * 1000, 1),
        protocol_errors=summary.protocol_errors,
        failures=summary.failures,
        backend_cores=round(cores("backend"), 4),
        cpu_s_per_conversation_minute=round(backend_cpu_s / (level.concurrency * seconds / 60), 3),
        backend_rss_mib=round(window["rss_peak"], 1),
        host_busy_cores=round(host_busy_cores(start["host"], end["host"]), 2),
        servers_cores=round(cores("servers"), 3),
        generator_cores=round(cores("generator"), 3),
        generator_send_lag_p99_ms=None if lag is None else round(lag * 1000, 1),
        profile=profile,
        issues=summary.issues_by_kind,
    )


def knee(figures: list[LevelFigures]) -> int | None:
    """The largest level that holds real time (no gap, no error, v2v growth under the
    limit), every smaller level holding too."""
    ordered = sorted(figures, key=lambda f: f.concurrency)
    baseline = ordered[0].voice_to_voice_ms["p50"] if ordered else None
    if baseline is None:
        return None
    holding = None
    for figure in ordered:
        p50 = figure.voice_to_voice_ms["p50"]
        grew = p50 is None or p50 - baseline > KNEE_V2V_GROWTH_S * 1000
        if figure.replies_with_gaps or figure.protocol_errors or figure.failures or grew:
            break
        holding = figure.concurrency
    return holding


def _cell(value: float | None, digits: int = 1) -> str:
    return "–" if value is None else f"{value:.{digits}f}"


def figures_markdown(figures: list[LevelFigures], idle: dict[str, float]) -> str:
    columns = [
        "conversations",
        "replies",
        "v2v p50 / p99",
        "overhead p50 / p99",
        *(f"{hop} p50 / p99" for hop in HOPS),
        "replies with gaps",
        "backend CPU (cores)",
        "CPU-s per conv-min",
        "RSS peak (MiB)",
        "MiB per conv",
        "host busy (cores)",
        "generator lag p99",
    ]
    lines = ["| " + " | ".join(columns) + " |", "|" + "---:|" * len(columns)]
    for f in figures:

        def pair(q: dict[str, float | None], digits: int = 1) -> str:
            return f"{_cell(q['p50'], digits)} / {_cell(q['p99'], digits)}"

        cells = [
            # py-spy pauses the backend for every sample: such a level's times and CPU
            # are inflated, so it is marked and its figures are for the profile only.
            f"{f.concurrency} (profiled)" if f.profile else str(f.concurrency),
            str(f.replies),
            pair(f.voice_to_voice_ms, 0),
            pair(f.overhead_ms),
            *(pair(f.hops_ms[hop]) for hop in HOPS),
            str(f.replies_with_gaps),
            f"{f.backend_cores:.3f}",
            f"{f.cpu_s_per_conversation_minute:.2f}",
            f"{f.backend_rss_mib:.0f}",
            f"{f.rss_mib_per_conversation:.2f}",
            f"{f.host_busy_cores:.2f}",
            _cell(f.generator_send_lag_p99_ms),
        ]
        lines.append("| " + " | ".join(cells) + " |")
    held = knee(figures)
    lines += [
        "",
        "Times in ms. Idle backend: "
        f"{idle['rss_mib']:.0f} MiB RSS, {idle['cores']:.4f} cores. Knee (largest level with "
        f"no audio gap, no error and median voice-to-voice within "
        f"{KNEE_V2V_GROWTH_S * 1000:.0f} ms of one conversation): "
        f"**{held if held is not None else 'none'}**.",
    ]
    return "\n".join(lines) + "\n"


async def _idle_backend(stack: Stack) -> dict[str, float]:
    before = sample_process(stack.backend.pid)
    await asyncio.sleep(IDLE_SAMPLE_S)
    after = sample_process(stack.backend.pid)
    return {"rss_mib": after.rss_mib, "cores": (after.cpu_s - before.cpu_s) / IDLE_SAMPLE_S}


async def run_benchmark(args: argparse.Namespace) -> list[LevelFigures]:
    levels: list[int] = args.levels
    out: Path = args.out
    headers, silence = encode_silence()
    clips = [encode_clip(clip.text, clip.pcm) for clip in load_clips()]
    figures: list[LevelFigures] = []
    backend_command = shlex.split(args.backend_command) if args.backend_command else None
    async with benchmark_stack(max(levels), out / "logs", backend_command=backend_command) as stack:
        plan = ConversationPlan(
            realtime_url=stack.realtime_url,
            clips=clips,
            opus_headers=headers,
            silence_packet=silence,
            turns=TURNS_PER_CONVERSATION,
            pause_s=args.pause,
            turn_timeout_s=30.0,
            session={"allow_recording": False},
        )
        idle = await _idle_backend(stack)
        # A fresh process costs more per conversation for a while (first use of code
        # paths, allocator and caches warming): its first level would read high.
        await run_level(plan, levels[0], duration_s=WARM_UP_S)
        for concurrency in levels:
            profile_to = out / f"profile-{concurrency}.txt" if concurrency in args.profile else None
            figure, level, trace = await measure_level(
                stack, plan, concurrency, args.duration, profile_to
            )
            figure.rss_mib_per_conversation = round(
                (figure.backend_rss_mib - idle["rss_mib"]) / concurrency, 2
            )
            figures.append(figure)
            (out / f"level-{concurrency}.json").write_text(level.model_dump_json())
            (out / f"trace-{concurrency}.json").write_text(json.dumps(trace))
            print(figures_markdown([figure], idle), flush=True)
            await asyncio.sleep(SETTLE_BETWEEN_LEVELS_S)
    (out / "figures.json").write_text(json.dumps([asdict(f) for f in figures], indent=2))
    profiles = "\n".join(f.profile for f in figures if f.profile)
    (out / "summary.md").write_text(figures_markdown(figures, idle) + "\n" + profiles)
    print(figures_markdown(figures, idle) + "\n" + profiles)
    return figures


def _levels(text: str) -> list[int]:
    return [int(part) for part in text.split(",") if part.strip()]


def main() -> None:
    parser = argparse.ArgumentParser(description="Backend overhead, CPU, memory and knee.")
    parser.add_argument("--levels", type=_levels, default=[1, 4, 16, 64])
    parser.add_argument("--duration", type=float, default=60.0, help="seconds per level")
    parser.add_argument("--pause", type=float, default=1.0, help="silence before each clip")
    parser.add_argument("--profile", type=_levels, default=[], help="levels to profile")
    parser.add_argument(
        "--backend-command",
        help="run the backend with this command instead of `unmute-ops` (then `serve backend "
        "--host --port` follow), e.g. another tree's or another Python's",
    )
    parser.add_argument("--out", type=Path, default=Path("benchmarks/results/overhead"))
    args = parser.parse_args()
    (args.out / "logs").mkdir(parents=True, exist_ok=True)
    asyncio.run(run_benchmark(args))


if __name__ == "__main__":
    main()
