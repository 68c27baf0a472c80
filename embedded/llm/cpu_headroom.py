"""How many threads may read the next prompt: more than the model's own only when other
cores sat idle while it waited.

llama.cpp's threads wait for each other at every step. Next to a busy process, two
threads read a prompt 2–3 times slower than one; on an idle two-core machine they read
it about twice as fast (a follow-up turn's 11–13 new tokens: 42–75 ms instead of 70–103
ms). Between two replies the model waits for the user to speak, which is when a
one-person machine is idle; so a prompt is read on one thread per core that sat idle
meanwhile, and the reply is written on the configured threads, as before.

`prompt_threads` is the pure rule; `CpuHeadroom` feeds it the kernel's idle time
(`/proc/stat`) and the cores this process may use (its affinity and cgroup CPU quota,
so a container limited to one CPU never widens).
"""

from __future__ import annotations

import math
import os
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

# A core counts as free when at least this share of it sat idle while the model waited.
FREE_CORE_IDLE_SHARE = 0.6
# A shorter wait (requests queued back to back) says nothing about the cores: no widening.
MIN_WAIT_S = 0.25
_PROC_STAT = Path("/proc/stat")


def prompt_threads(idle_cores: float, threads: int, most: int) -> int:
    """`threads`, or one thread per free core if that is more; never above `most`."""
    free_cores = math.floor(idle_cores + 1 - FREE_CORE_IDLE_SHARE)
    return max(threads, min(most, free_cores))


@dataclass(frozen=True)
class CpuIdle:
    """The machine's idle CPU time so far (seconds, all cores together), and when read."""

    idle_s: float
    at: float


def read_cpu_idle(stat: Path = _PROC_STAT) -> CpuIdle | None:
    """From the kernel's counters (idle and waiting on I/O); None where there are none."""
    try:
        fields = stat.read_text().split("\n", 1)[0].split()
        ticks = int(fields[4]) + int(fields[5])  # cpu user nice system idle iowait …
    except (OSError, IndexError, ValueError):
        return None
    return CpuIdle(ticks / os.sysconf("SC_CLK_TCK"), time.monotonic())


def available_cores(cgroup_root: Path = Path("/sys/fs/cgroup")) -> int:
    """The cores this process may run on, within its cgroup's CPU quota if it has one."""
    affinity = getattr(os, "sched_getaffinity", None)  # Linux; elsewhere, every core
    cores = len(affinity(0)) if affinity else os.cpu_count() or 1
    quota = _cpu_quota(cgroup_root)
    return cores if quota is None else max(1, min(cores, math.ceil(quota)))


def _cpu_quota(root: Path) -> float | None:
    """CPUs' worth of time allowed per period (cgroup v2, else v1); None if unlimited."""
    try:
        limit, period = (root / "cpu.max").read_text().split()[:2]
        return None if limit == "max" else int(limit) / int(period)
    except (OSError, ValueError):
        pass
    try:
        v1_quota = int((root / "cpu" / "cpu.cfs_quota_us").read_text())
        v1_period = int((root / "cpu" / "cpu.cfs_period_us").read_text())
    except (OSError, ValueError):
        return None
    return None if v1_quota <= 0 or v1_period <= 0 else v1_quota / v1_period


class CpuHeadroom:
    """Marks when the model starts waiting; at the next prompt, says how many threads
    may read it. Not thread-safe: the model's own thread calls both."""

    def __init__(
        self,
        threads: int,
        most: int | None = None,
        read: Callable[[], CpuIdle | None] = read_cpu_idle,
    ) -> None:
        self.threads = threads
        self.most = available_cores() if most is None else most
        self._read = read
        self._waiting_since: CpuIdle | None = None

    def waiting_starts(self) -> None:
        self._waiting_since = self._read() if self.most > self.threads else None

    def prompt_threads(self) -> int:
        since, self._waiting_since = self._waiting_since, None
        if since is None:
            return self.threads
        now = self._read()
        if now is None or now.at - since.at < MIN_WAIT_S:
            return self.threads
        idle_cores = (now.idle_s - since.idle_s) / (now.at - since.at)
        return prompt_threads(idle_cores, self.threads, self.most)
