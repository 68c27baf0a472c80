"""Top hot spots from py-spy's raw (collapsed stack) output.

Each line of `py-spy record --format raw` is `frame;frame;…;leaf count`, a frame
written `function (file:line)`. Self time goes to the leaf; inclusive time to every
distinct function on the stack.

    python -m benchmarks.profile_summary profile.txt
"""

from __future__ import annotations

import argparse
import re
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

_FRAME = re.compile(r"^(?P<function>.*?) \((?P<file>[^()]*?)(?::\d+)?\)$")
# Paths are shortened to what follows these, so a table names `backend/session.py`.
_PATH_ANCHORS = ("site-packages/", "lib/python3.11/", "/work/main/")
ENTRY_CHAIN_SHARE = 0.9
# A stack ending in one of these is a thread waiting for I/O, not using the CPU.
IDLE_LEAVES = frozenset({"epoll_wait", "epoll_pwait", "poll", "ppoll", "select", "pselect6"})


@dataclass(frozen=True)
class HotSpot:
    function: str
    samples: int
    share: float


@dataclass(frozen=True)
class Profile:
    samples: int
    self_time: list[HotSpot]
    by_python_caller: list[HotSpot]
    """Self time with native frames (libopus, syscalls) folded into the Python function
    that called them: which line of our code the time is spent for."""
    inclusive: list[HotSpot]


def _short(path: str) -> str:
    for anchor in _PATH_ANCHORS:
        if anchor in path:
            return path.split(anchor, 1)[1]
    return path


def _function(frame: str) -> str:
    match = _FRAME.match(frame.strip())
    if match is None:
        return frame.strip()
    return f"{match['function']} ({_short(match['file'])})"


def summarise_profile(raw: str, top: int = 15) -> Profile:
    self_counts: Counter[str] = Counter()
    inclusive_counts: Counter[str] = Counter()
    caller_counts: Counter[str] = Counter()
    total = 0
    for line in raw.splitlines():
        stack, _, count_text = line.rpartition(" ")
        if not stack or not count_text.isdigit():
            continue
        count = int(count_text)
        functions = [_function(frame) for frame in stack.split(";")]
        if functions[-1].split(" (")[0] in IDLE_LEAVES:
            continue  # the event loop waiting for I/O: not CPU
        total += count
        self_counts[functions[-1]] += count
        python = [f for f in functions if ".py)" in f]
        caller_counts[python[-1] if python else functions[-1]] += count
        for function in set(functions):
            inclusive_counts[function] += count

    def spots(counts: Counter[str]) -> list[HotSpot]:
        return [
            HotSpot(function=name, samples=n, share=n / total if total else 0.0)
            for name, n in counts.most_common(top)
        ]

    # Frames on (nearly) every stack are the entry chain (`main`, `Runner.run`…): noise.
    below_entry = Counter(
        {name: n for name, n in inclusive_counts.items() if n < ENTRY_CHAIN_SHARE * total}
    )
    return Profile(
        samples=total,
        self_time=spots(self_counts),
        by_python_caller=spots(caller_counts),
        inclusive=spots(below_entry),
    )


def profile_markdown(profile: Profile, title: str) -> str:
    lines = [f"### {title}", "", f"{profile.samples} busy samples.", ""]
    tables = (
        ("Self time", profile.self_time),
        ("Self time by Python caller (native frames folded in)", profile.by_python_caller),
        ("Inclusive (below the entry chain)", profile.inclusive),
    )
    for heading, spots in tables:
        lines += [f"{heading}:", "", "| function | share |", "|---|---:|"]
        lines += [f"| `{spot.function}` | {spot.share:.1%} |" for spot in spots]
        lines.append("")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description="Summarise a py-spy raw profile.")
    parser.add_argument("raw", type=Path)
    parser.add_argument("--top", type=int, default=15)
    args = parser.parse_args()
    profile = summarise_profile(args.raw.read_text(), args.top)
    print(profile_markdown(profile, str(args.raw)))


if __name__ == "__main__":
    main()
