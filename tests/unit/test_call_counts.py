"""benchmarks.call_counts: calls per function from cProfile stats, and their change."""

from __future__ import annotations

import cProfile
from pathlib import Path

from benchmarks.call_counts import calls_by_function, compare


def helper() -> int:
    return 1


def profile_calls(path: Path, times: int) -> Path:
    profile = cProfile.Profile()
    profile.enable()
    for _ in range(times):
        helper()
    profile.disable()
    profile.dump_stats(path)
    return path


def test_calls_are_counted_per_function(tmp_path: Path) -> None:
    calls = calls_by_function(profile_calls(tmp_path / "run.prof", 7))

    counted = {name: count for name, count in calls.items() if name.endswith(":helper")}
    assert list(counted.values()) == [7]


def test_the_comparison_shows_the_change_in_calls(tmp_path: Path) -> None:
    before = profile_calls(tmp_path / "before.prof", 10)
    after = profile_calls(tmp_path / "after.prof", 4)

    table = compare(before, after, top=5)

    assert "(-6)" in table.splitlines()[0]
    assert any("| 10 | 4 | -6 |" in line and "helper" in line for line in table.splitlines())
