"""Every pause of CPython's garbage collector in a backend process: does the collector
make the backend's latency tail?

Run the backend with a probe on `gc.callbacks` (the pauses are written when it stops on
SIGTERM), as `benchmarks.conversation_cost`'s backend, then summarise:

    python -m benchmarks.conversation_cost --levels 4 --conversations 8 --setups 8 \\
        --backend-command "env GC_PAUSES_OUT=/tmp/gc.json \\
            .venv/bin/python benchmarks/gc_pauses.py"
    python -m benchmarks.gc_pauses /tmp/gc.json

Each pause is the time between the collector's "start" and "stop" callbacks, on the
monotonic clock: the collection itself, finalizers and weakref callbacks included. The
probe costs two clock reads and a list append per collection, not per allocation.
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import signal
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from types import FrameType
from typing import Any

OUT_VARIABLE = "GC_PAUSES_OUT"


@dataclass
class PauseRecorder:
    """Collects (start, duration, generation, collected) for every collection."""

    clock: Any = time.monotonic
    pauses: list[tuple[float, float, int, int]] = field(default_factory=list)
    _started: float | None = None

    def __call__(self, phase: str, info: dict[str, int]) -> None:
        if phase == "start":
            self._started = self.clock()
        elif self._started is not None:
            now = self.clock()
            self.pauses.append(
                (self._started, now - self._started, info["generation"], info["collected"])
            )
            self._started = None


def _stop(signum: int, frame: FrameType | None) -> None:
    del signum, frame
    raise SystemExit(0)  # unwinds through `finally`, which writes the pauses


def serve_probed(argv: list[str], out: Path) -> None:
    """Run `unmute-ops` with `argv`, recording every collection; write them to `out`."""
    from ops.cli import app

    signal.signal(signal.SIGTERM, _stop)
    signal.signal(signal.SIGINT, _stop)
    recorder = PauseRecorder()
    started = time.monotonic()
    gc.callbacks.append(recorder)
    sys.argv = ["unmute-ops", *argv]
    try:
        app()
    except SystemExit:
        pass
    finally:
        gc.callbacks.remove(recorder)
        record = {
            "started": started,
            "stopped": time.monotonic(),
            "thresholds": gc.get_threshold(),
            "pauses": recorder.pauses,
        }
        out.write_text(json.dumps(record))


def _percentile(sorted_values: list[float], fraction: float) -> float:
    if not sorted_values:
        return 0.0
    index = min(len(sorted_values) - 1, int(fraction * len(sorted_values)))
    return sorted_values[index]


def summary(record: dict[str, Any], skip_s: float) -> str:
    """Pauses per generation after the first `skip_s` seconds (start-up's own)."""
    since = record["started"] + skip_s
    minutes = max(record["stopped"] - since, 1e-9) / 60
    lines = [
        f"{minutes:.2f} minutes after the first {skip_s:.0f} s; thresholds {record['thresholds']}",
        "",
        "| generation | pauses | per minute | total (ms) | ms per minute | p50 (ms) "
        "| p99 (ms) | max (ms) | objects collected |",
        "|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for generation in (0, 1, 2):
        durations = sorted(
            d * 1000 for t, d, g, _ in record["pauses"] if g == generation and t >= since
        )
        collected = sum(c for t, _, g, c in record["pauses"] if g == generation and t >= since)
        total = sum(durations)
        lines.append(
            f"| {generation} | {len(durations)} | {len(durations) / minutes:.1f} "
            f"| {total:.1f} | {total / minutes:.2f} | {_percentile(durations, 0.5):.3f} "
            f"| {_percentile(durations, 0.99):.3f} | {max(durations, default=0.0):.3f} "
            f"| {collected:,} |"
        )
    return "\n".join(lines)


def main() -> None:
    out = os.environ.get(OUT_VARIABLE)
    if out is not None:
        serve_probed(sys.argv[1:], Path(out))
        return
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("record", type=Path, help=f"a file the probe wrote ({OUT_VARIABLE})")
    parser.add_argument("--skip", type=float, default=5.0, help="seconds of start-up to leave out")
    args = parser.parse_args()
    print(summary(json.loads(args.record.read_text()), args.skip))


if __name__ == "__main__":
    main()
