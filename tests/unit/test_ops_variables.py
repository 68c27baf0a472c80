"""Stack variables from env files and `--set`."""

from __future__ import annotations

from pathlib import Path

import pytest

from ops.swarm.variables import parse_assignments, read_env_files


def test_assignments_comments_quotes_and_export() -> None:
    lines = ["# a comment", "", "UNMUTE_DOMAIN=unmute.example.com", "export A='x y'", 'B="1=2"']
    assert parse_assignments(lines) == {
        "UNMUTE_DOMAIN": "unmute.example.com",
        "A": "x y",
        "B": "1=2",
    }


@pytest.mark.parametrize("line", ["NOVALUE", "1ABC=x", "A B=c"])
def test_a_line_that_is_not_an_assignment_is_an_error(line: str) -> None:
    with pytest.raises(ValueError, match="KEY=VALUE"):
        parse_assignments([line])


def test_later_files_win(tmp_path: Path) -> None:
    (tmp_path / "a.env").write_text("X=1\nY=1\n")
    (tmp_path / "b.env").write_text("Y=2\n")
    assert read_env_files([tmp_path / "a.env", tmp_path / "b.env"]) == {"X": "1", "Y": "2"}


def test_the_example_env_file_is_valid() -> None:
    example = Path(__file__).resolve().parents[2] / "swarm" / "example.env"
    variables = read_env_files([example])
    assert "UNMUTE_DOMAIN" in variables
