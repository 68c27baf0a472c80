"""CPU time and memory of processes, and busy time of the whole host, from /proc (Linux)."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

_CLOCK_TICKS = os.sysconf("SC_CLK_TCK")
_PAGE_KIB = os.sysconf("SC_PAGE_SIZE") // 1024


@dataclass(frozen=True)
class ProcessSample:
    cpu_s: float
    """User plus system CPU seconds since the process started."""
    rss_mib: float


def sample_process(pid: int) -> ProcessSample:
    stat = Path(f"/proc/{pid}/stat").read_text()
    # The command name may hold spaces; the fields after its closing parenthesis do not.
    fields = stat.rsplit(")", 1)[1].split()
    utime, stime = int(fields[11]), int(fields[12])
    rss_pages = int(Path(f"/proc/{pid}/statm").read_text().split()[1])
    return ProcessSample(cpu_s=(utime + stime) / _CLOCK_TICKS, rss_mib=rss_pages * _PAGE_KIB / 1024)


@dataclass(frozen=True)
class HostSample:
    busy_s: float
    total_s: float
    cores: int


def sample_host() -> HostSample:
    """Cumulative busy and total CPU seconds over all cores (the `cpu` line of /proc/stat)."""
    line = Path("/proc/stat").read_text().splitlines()[0]
    ticks = [int(value) for value in line.split()[1:]]
    idle = ticks[3] + ticks[4]  # idle + iowait
    total = sum(ticks[:8])  # guest time is already inside user time
    return HostSample(
        busy_s=(total - idle) / _CLOCK_TICKS,
        total_s=total / _CLOCK_TICKS,
        cores=os.cpu_count() or 1,
    )


def host_busy_cores(start: HostSample, end: HostSample) -> float:
    """Average number of busy cores between two samples."""
    total = end.total_s - start.total_s
    if total <= 0:
        return 0.0
    return (end.busy_s - start.busy_s) / total * end.cores
