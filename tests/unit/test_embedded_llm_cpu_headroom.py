"""When the LLM reads a prompt on more threads than its own: only with cores that sat
idle while it waited, within the CPUs the process may use (scripted clocks and files)."""

from __future__ import annotations

from pathlib import Path

import pytest

from embedded.llm.cpu_headroom import (
    MIN_WAIT_S,
    CpuHeadroom,
    CpuIdle,
    available_cores,
    prompt_threads,
    read_cpu_idle,
)


@pytest.mark.parametrize(
    ("idle_cores", "threads", "most", "expected"),
    [
        (2.0, 1, 2, 2),  # an idle two-core machine
        (1.7, 1, 2, 2),  # the other core 70 % idle: free enough
        (1.5, 1, 2, 1),  # half of a core is not a free core
        (0.9, 1, 2, 1),
        (0.0, 1, 2, 1),
        (4.0, 1, 2, 2),  # never above the cores the process may use
        (3.8, 1, 8, 4),
        (0.0, 2, 4, 2),  # never below the configured threads
        (2.0, 1, 1, 1),
    ],
)
def test_one_thread_per_free_core_within_bounds(
    idle_cores: float, threads: int, most: int, expected: int
) -> None:
    assert prompt_threads(idle_cores, threads, most) == expected


class ScriptedCpu:
    """A machine whose cores sit `idle_cores` idle for as long as the clock advances."""

    def __init__(self) -> None:
        self.at = 100.0
        self.idle_s = 5_000.0
        self.idle_cores = 2.0
        self.readable = True

    def wait(self, seconds: float) -> None:
        self.at += seconds
        self.idle_s += seconds * self.idle_cores

    def read(self) -> CpuIdle | None:
        return CpuIdle(self.idle_s, self.at) if self.readable else None


def test_a_wait_on_an_idle_machine_widens_the_next_prompt_only() -> None:
    cpu = ScriptedCpu()
    headroom = CpuHeadroom(threads=1, most=2, read=cpu.read)
    headroom.waiting_starts()
    cpu.wait(3.0)
    assert headroom.prompt_threads() == 2
    assert headroom.prompt_threads() == 1, "a prompt with no wait before it keeps one thread"


def test_a_busy_wait_keeps_the_configured_threads() -> None:
    cpu = ScriptedCpu()
    cpu.idle_cores = 1.2  # another process keeps most of a core busy
    headroom = CpuHeadroom(threads=1, most=2, read=cpu.read)
    headroom.waiting_starts()
    cpu.wait(3.0)
    assert headroom.prompt_threads() == 1


def test_a_wait_too_short_to_judge_keeps_the_configured_threads() -> None:
    cpu = ScriptedCpu()
    headroom = CpuHeadroom(threads=1, most=2, read=cpu.read)
    headroom.waiting_starts()
    cpu.wait(MIN_WAIT_S / 2)  # requests queued back to back
    assert headroom.prompt_threads() == 1


def test_without_counters_or_spare_cores_nothing_is_read_or_widened() -> None:
    cpu = ScriptedCpu()
    cpu.readable = False
    headroom = CpuHeadroom(threads=1, most=2, read=cpu.read)
    headroom.waiting_starts()
    cpu.wait(3.0)
    assert headroom.prompt_threads() == 1

    def never(_: object = None) -> CpuIdle:
        raise AssertionError("a process with no spare core never reads the counters")

    one_core = CpuHeadroom(threads=1, most=1, read=never)
    one_core.waiting_starts()
    assert one_core.prompt_threads() == 1


def test_the_kernels_idle_time_is_read_in_seconds(tmp_path: Path) -> None:
    stat = tmp_path / "stat"
    stat.write_text("cpu  100 5 50 2000 100 0 3 0 0 0\ncpu0 50 2 25 1000 50 0 1 0 0 0\n")
    read = read_cpu_idle(stat)
    assert read is not None
    assert read.idle_s == pytest.approx(2100 / 100)  # idle + iowait, at 100 ticks a second
    stat.write_text("nothing like it\n")
    assert read_cpu_idle(stat) is None
    assert read_cpu_idle(tmp_path / "missing") is None


@pytest.mark.parametrize(
    ("files", "expected"),
    [
        ({}, 8),  # no cgroup limit: every core of the affinity
        ({"cpu.max": "max 100000\n"}, 8),
        ({"cpu.max": "100000 100000\n"}, 1),  # a container limited to one CPU
        ({"cpu.max": "150000 100000\n"}, 2),  # a CPU and a half: two threads may run
        ({"cpu.max": "5000000 100000\n"}, 8),  # a quota above the cores
        ({"cpu/cpu.cfs_quota_us": "200000\n", "cpu/cpu.cfs_period_us": "100000\n"}, 2),
        ({"cpu/cpu.cfs_quota_us": "-1\n", "cpu/cpu.cfs_period_us": "100000\n"}, 8),
    ],
)
def test_the_cores_a_process_may_use_follow_its_cgroup_quota(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, files: dict[str, str], expected: int
) -> None:
    monkeypatch.setattr("os.sched_getaffinity", lambda _pid: set(range(8)))
    for name, text in files.items():
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text(text)
    assert available_cores(tmp_path) == expected
