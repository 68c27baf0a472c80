"""Resident memory of a running `unmute-ops up`, per server and in all.

    .venv/bin/python -m benchmarks.stack_memory PID     # PID of `unmute-ops up`

RSS counts shared libraries once per process; PSS shares them out among the processes
that map them, so the PSS total is what the stack really takes from the machine.
"""

from __future__ import annotations

import sys
from pathlib import Path


def children(pid: int) -> list[int]:
    found: list[int] = []
    for task in Path(f"/proc/{pid}/task").iterdir():
        text = (task / "children").read_text().split()
        found += [int(child) for child in text]
    return found


def tree(pid: int) -> list[int]:
    pids, stack = [], [pid]
    while stack:
        current = stack.pop()
        pids.append(current)
        stack += children(current)
    return pids


def memory_kib(pid: int) -> tuple[int, int]:
    """(RSS, PSS) in KiB, from smaps_rollup."""
    fields: dict[str, int] = {}
    for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines()[1:]:
        name, value, *_ = line.split()
        fields[name.rstrip(":")] = int(value)
    return fields["Rss"], fields["Pss"]


def label(pid: int) -> str:
    argv = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
    words = [Path(a.decode()).name for a in argv if a]
    if "serve" in words:
        return "serve " + words[words.index("serve") + 1]
    if "embedded.stt.worker" in words:
        return "  stt recogniser"
    return " ".join(words[:3])


def main() -> None:
    root = int(sys.argv[1])
    total_rss = total_pss = 0
    print(f"{'process':<28}{'RSS MiB':>10}{'PSS MiB':>10}")
    for pid in tree(root):
        rss, pss = memory_kib(pid)
        total_rss += rss
        total_pss += pss
        print(f"{label(pid):<28}{rss / 1024:>10.0f}{pss / 1024:>10.0f}")
    print(f"{'all':<28}{total_rss / 1024:>10.0f}{total_pss / 1024:>10.0f}")


if __name__ == "__main__":
    main()
