"""Python function calls of a backend process: a cost figure that does not move with the
load of the host, so one change can be told apart from the noise of another's work.

Run the backend under `cProfile` (the stats are written when it stops on SIGTERM), as
`benchmarks.conversation_cost`'s backend, then compare two runs of the same load:

    python -m benchmarks.conversation_cost --levels 4 --conversations 8 --setups 8 \\
        --backend-command "env CALL_COUNTS_OUT=/tmp/after.prof \\
            .venv/bin/python benchmarks/call_counts.py"
    python -m benchmarks.call_counts --compare /tmp/before.prof /tmp/after.prof

The profiled process serves the tree on PYTHONPATH (`env PYTHONPATH=/tmp/before ...`
profiles an older tree with this script). cProfile slows the process several times over,
so its CPU figures mean nothing; its call counts are exact, and include start-up.
"""

from __future__ import annotations

import argparse
import cProfile
import os
import pstats
import re
import signal
import sys
from collections import Counter
from pathlib import Path
from types import FrameType

OUT_VARIABLE = "CALL_COUNTS_OUT"
_STDLIB = re.compile(r"^.*/lib/python3\.\d+/")
_ADDRESS = re.compile(r" at 0x[0-9a-f]+")  # differs from process to process


def _stop(signum: int, frame: FrameType | None) -> None:
    del signum, frame
    raise SystemExit(0)  # unwinds through the profiler, which then writes its stats


def serve_profiled(argv: list[str], out: Path) -> None:
    """Run `unmute-ops` with `argv` under cProfile; write the stats to `out` on exit."""
    from ops.cli import app

    # uvicorn re-raises the signal it caught once it has shut down, with the handler
    # found at start: this one, so the process ends through `finally`.
    signal.signal(signal.SIGTERM, _stop)
    signal.signal(signal.SIGINT, _stop)
    profile = cProfile.Profile()
    sys.argv = ["unmute-ops", *argv]
    profile.enable()
    try:
        app()
    except SystemExit:
        pass
    finally:
        profile.disable()
        profile.dump_stats(out)


def calls_by_function(path: Path) -> Counter[str]:
    """Calls per function, named by its file below `site-packages` or the tree's root."""
    calls: Counter[str] = Counter()
    stats = pstats.Stats(str(path)).stats  # type: ignore[attr-defined]
    for (filename, _, name), (_, total_calls, *_) in stats.items():
        place = _STDLIB.sub("", filename.split("/site-packages/")[-1])
        for root in ("/backend/", "/ops/", "/benchmarks/"):
            if root in place:
                place = root.lstrip("/") + place.split(root, 1)[1]
        calls[f"{place}:{_ADDRESS.sub('', name)}"] += total_calls
    return calls


def compare(before: Path, after: Path, top: int) -> str:
    old, new = calls_by_function(before), calls_by_function(after)
    lines = [
        f"Python function calls: {old.total():,} -> {new.total():,} "
        f"({new.total() - old.total():+,})",
        "",
        "| before | after | change | function |",
        "|---:|---:|---:|---|",
    ]
    changes = sorted(old.keys() | new.keys(), key=lambda name: new[name] - old[name])
    for name in [*changes[:top], *changes[-top:]]:
        if new[name] != old[name]:
            lines.append(f"| {old[name]:,} | {new[name]:,} | {new[name] - old[name]:+,} | {name} |")
    return "\n".join(lines)


def main() -> None:
    out = os.environ.get(OUT_VARIABLE)
    if out is not None:
        serve_profiled(sys.argv[1:], Path(out))
        return
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--compare", nargs=2, type=Path, metavar=("BEFORE", "AFTER"))
    parser.add_argument("--top", type=int, default=15, help="largest changes each way")
    args = parser.parse_args()
    if args.compare is None:
        parser.error(f"give --compare BEFORE AFTER, or set {OUT_VARIABLE} to serve profiled")
    before, after = args.compare
    print(compare(before, after, top=args.top))


if __name__ == "__main__":
    main()
