"""Stack variables from files and the command line (`KEY=VALUE`, as in swarm/example.env)."""

from __future__ import annotations

import re
from collections.abc import Iterable
from pathlib import Path

_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


def parse_assignments(lines: Iterable[str]) -> dict[str, str]:
    """`KEY=VALUE` lines; blank lines and `#` comments are skipped, quotes around a value
    are removed. A line that is not an assignment is an error, not a silent skip."""
    variables: dict[str, str] = {}
    for raw in lines:
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        key, separator, value = line.removeprefix("export ").partition("=")
        key = key.strip()
        if not separator or not _NAME.fullmatch(key):
            raise ValueError(f"not a KEY=VALUE assignment: {raw!r}")
        value = value.strip()
        if len(value) >= 2 and value[0] == value[-1] and value[0] in "'\"":
            value = value[1:-1]
        variables[key] = value
    return variables


def read_env_files(paths: Iterable[Path]) -> dict[str, str]:
    variables: dict[str, str] = {}
    for path in paths:
        variables.update(parse_assignments(path.read_text().splitlines()))
    return variables
