"""`unmute-ops loadtest` option parsing."""

from __future__ import annotations

import pytest
import typer
from typer.testing import CliRunner

from loadtest.runner import HealthCheckFailed, LoadTestOptions
from ops import loadtest_command
from ops.loadtest_command import parse_sweep


def test_a_sweep_is_a_comma_separated_list_of_levels() -> None:
    assert parse_sweep("1,2, 4,8,") == [1, 2, 4, 8]
    assert parse_sweep(None) == []
    assert parse_sweep("") == []


@pytest.mark.parametrize("text", ["1,two", "0,4", "-1"])
def test_a_bad_sweep_is_refused(text: str) -> None:
    with pytest.raises(typer.BadParameter):
        parse_sweep(text)


@pytest.mark.parametrize(("flags", "resume"), [([], False), (["--resume"], True)])
def test_resume_is_asked_for_on_the_command_line(
    flags: list[str], resume: bool, monkeypatch: pytest.MonkeyPatch
) -> None:
    seen: list[LoadTestOptions] = []

    def run(options: LoadTestOptions) -> None:
        seen.append(options)
        raise HealthCheckFailed("not run in this test")

    monkeypatch.setattr(loadtest_command, "_run_with_progress", run)
    app = typer.Typer()
    app.command()(loadtest_command.loadtest)
    result = CliRunner().invoke(app, ["http://localhost:8000", *flags])
    assert result.exit_code == loadtest_command.EXIT_NOT_RUN, result.output
    (options,) = seen
    assert options.resume is resume
