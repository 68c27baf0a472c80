"""Markers by place: every test under integration/, fuzz/, browser/ and swarm/ uses real
processes or sockets, so it is marked `integration` here, where no new file can forget it
(`pytest -m "not integration"` runs the unit tests alone)."""

from __future__ import annotations

from pathlib import Path

import pytest

_TESTS = Path(__file__).parent
_REAL_PARTS = ("integration", "fuzz", "browser", "swarm", "multinode")


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        relative = Path(item.path).relative_to(_TESTS) if _TESTS in item.path.parents else None
        if relative is not None and relative.parts[0] in _REAL_PARTS:
            item.add_marker(pytest.mark.integration)
