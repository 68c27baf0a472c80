"""`unmute-ops loadtest` option parsing."""

from __future__ import annotations

import pytest
import typer

from ops.loadtest_command import parse_sweep


def test_a_sweep_is_a_comma_separated_list_of_levels() -> None:
    assert parse_sweep("1,2, 4,8,") == [1, 2, 4, 8]
    assert parse_sweep(None) == []
    assert parse_sweep("") == []


@pytest.mark.parametrize("text", ["1,two", "0,4", "-1"])
def test_a_bad_sweep_is_refused(text: str) -> None:
    with pytest.raises(typer.BadParameter):
        parse_sweep(text)
