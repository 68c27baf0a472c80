"""Where a Python 3.12+ process spends its CPU, from `perf record` with DWARF call graphs.

Run the process with `python -X perf` (it writes `/tmp/perf-PID.map`, naming each Python
function's trampoline `py::function:file`), record it, and feed `perf script` here:

    perf record -F 499 --call-graph dwarf,16384 -p PID -o perf.data -- sleep 30
    perf script -i perf.data | python -m benchmarks.perf_python_summary

Each sample goes to the innermost Python function on its stack, native code below it
(libopus, system calls, the interpreter) folded in; samples with no Python frame go to
the library they were in (`--by-library`: every sample to the library it ran in, the
interpreter's own code included). Unlike py-spy's native mode, perf does not stop the
process to sample it, so system calls are not over-counted.
"""

from __future__ import annotations

import argparse
import re
import sys
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass

# `   7f3a2b1c4d5e py::Reply._play:/wt/backend/reply.py+0x9 (/tmp/perf-123.map)`
_FRAME = re.compile(r"^\s+[0-9a-f]+ (?P<symbol>.*) \((?P<dso>.*)\)$")
_PYTHON = "py::"
_INLINED = "inlined"


@dataclass(frozen=True)
class Share:
    where: str
    samples: int
    share: float


def _owner(frames: list[tuple[str, str]]) -> str:
    """The innermost Python function of one sample's stack (leaf first), else its library."""
    for symbol, _ in frames:
        if symbol.startswith(_PYTHON):
            function, _, place = symbol[len(_PYTHON) :].partition(":")
            return f"{function} ({place.rsplit('/', 1)[-1].split('+')[0]})"
    return f"(native) {frames[0][1].rsplit('/', 1)[-1]}"


def _library(frames: list[tuple[str, str]]) -> str:
    """The library the sample's innermost frame ran in (the interpreter, libopus, …)."""
    # perf lists a function inlined into another as a frame of its own, "(inlined)".
    symbol, dso = next(((s, d) for s, d in frames if d != _INLINED), frames[0])
    if symbol.startswith(_PYTHON):
        return "(Python function trampolines)"
    return dso.rsplit("/", 1)[-1]


def summarise(
    lines: Iterable[str], top: int = 30, *, by_library: bool = False
) -> tuple[int, list[Share]]:
    """(samples, the `top` owners by share of the samples) of `perf script` output;
    owners are Python functions, or with `by_library` the libraries samples ran in."""
    owner_of = _library if by_library else _owner
    owners: Counter[str] = Counter()
    frames: list[tuple[str, str]] = []
    for line in [*lines, ""]:
        if not line.strip():
            if frames:
                owners[owner_of(frames)] += 1
            frames = []
        elif (match := _FRAME.match(line.rstrip())) is not None:
            frames.append((match["symbol"], match["dso"]))
    total = sum(owners.values())
    shares = [Share(where, n, n / total) for where, n in owners.most_common(top)]
    return total, shares


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--top", type=int, default=30)
    parser.add_argument(
        "--by-library", action="store_true", help="share by the library a sample ran in"
    )
    args = parser.parse_args()
    total, shares = summarise(sys.stdin, args.top, by_library=args.by_library)
    print(f"{total} samples\n\n| where | share |\n|---|---:|")
    for share in shares:
        print(f"| `{share.where}` | {share.share:.1%} |")


if __name__ == "__main__":
    main()
