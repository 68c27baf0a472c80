"""Which timers wake a backend's event loop, and how many fire early: a count per place in
the code that set the timer, not moved by the host's load.

A timer that fires with nothing to do costs a wake-up of the process. Run the backend
with a uvloop loop that counts, as `benchmarks.conversation_cost`'s backend; the counts
are written when it stops on SIGTERM:

    python -m benchmarks.conversation_cost --levels 1 --conversations 1 --setups 0 \\
        --backend-command "env LOOP_TIMERS_OUT=/tmp/timers.json \\
            .venv/bin/python benchmarks/loop_timers.py"
    python -m benchmarks.loop_timers --show /tmp/timers.json

"Early" is a timer run before the loop's clock reached the time it was set for: uvloop
rounds delays to whole milliseconds. Counting costs a stack walk per timer set, so only
the counts mean anything, not the CPU.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import signal
import sys
import traceback
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from types import FrameType
from typing import Any

OUT_VARIABLE = "LOOP_TIMERS_OUT"
_PLUMBING = ("/asyncio/", "/contextlib.py", "/benchmarks/loop_timers.py")


class TimerCounts:
    def __init__(self) -> None:
        self.set: Counter[str] = Counter()
        self.fired: Counter[str] = Counter()
        self.early: Counter[str] = Counter()

    def as_json(self) -> dict[str, dict[str, int]]:
        return {"set": dict(self.set), "fired": dict(self.fired), "early": dict(self.early)}


def timer_site(stack: traceback.StackSummary) -> str:
    """The innermost frame that is not asyncio's (or this module's), as `dir/file:line`."""
    for frame in reversed(stack):
        if not any(part in frame.filename for part in _PLUMBING):
            folder, _, name = frame.filename.rpartition("/")
            return f"{folder.rpartition('/')[2]}/{name}:{frame.lineno} {frame.name}"
    return "?"


def counting_loop(counts: TimerCounts) -> Any:
    import uvloop

    class CountingLoop(uvloop.Loop):
        def call_at(  # type: ignore[override]
            self, when: float, callback: Callable[..., object], *args: Any, context: Any = None
        ) -> asyncio.TimerHandle:
            site = timer_site(traceback.extract_stack(limit=16))
            counts.set[site] += 1

            def run(*run_args: Any) -> object:
                counts.fired[site] += 1
                if self.time() < when:
                    counts.early[site] += 1
                return callback(*run_args)

            # uvloop's call_at calls call_later: go to uvloop's own, not back here.
            delay = max(0.0, when - self.time())
            handle: asyncio.TimerHandle = super().call_later(delay, run, *args, context=context)
            return handle

        def call_later(  # type: ignore[override]
            self, delay: float, callback: Callable[..., object], *args: Any, context: Any = None
        ) -> asyncio.TimerHandle:
            return self.call_at(self.time() + delay, callback, *args, context=context)

    return CountingLoop


def _stop(signum: int, frame: FrameType | None) -> None:
    del signum, frame
    raise SystemExit(0)


def serve_counted(argv: list[str], out: Path) -> None:
    """Run `unmute-ops` with `argv` on a counting loop; write the counts to `out` on exit."""
    import uvloop

    counts = TimerCounts()
    loop_class = counting_loop(counts)
    uvloop.Loop = loop_class  # type: ignore[misc]
    uvloop.new_event_loop = loop_class  # what uvicorn's loop factory returns

    from ops.cli import app

    signal.signal(signal.SIGTERM, _stop)  # uvicorn re-raises it: end through `finally`
    signal.signal(signal.SIGINT, _stop)
    sys.argv = ["unmute-ops", *argv]
    try:
        app()
    except SystemExit:
        pass
    finally:
        out.write_text(json.dumps(counts.as_json(), indent=1))


def table(counts: dict[str, dict[str, int]], top: int = 20) -> str:
    fired, early, made = counts["fired"], counts["early"], counts["set"]
    lines = ["| fired | of them early | set | where |", "|---:|---:|---:|---|"]
    for site, count in sorted(fired.items(), key=lambda item: -item[1])[:top]:
        lines.append(f"| {count:,} | {early.get(site, 0):,} | {made.get(site, 0):,} | `{site}` |")
    return "\n".join(lines)


def main() -> None:
    import os

    if os.environ.get(OUT_VARIABLE):  # run as the backend
        serve_counted(sys.argv[1:], Path(os.environ[OUT_VARIABLE]))
        return
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--show", type=Path, required=True, help="counts written by a run")
    parser.add_argument("--top", type=int, default=20)
    args = parser.parse_args()
    print(table(json.loads(args.show.read_text()), args.top))


if __name__ == "__main__":
    main()
