"""Markers by place: every test under integration/, fuzz/, browser/ and swarm/ uses real
processes or sockets, so it is marked `integration` here, where no new file can forget it
(`pytest -m "not integration"` runs the unit tests alone).

Process-wide state a test cannot see is reset around each test, so that no test passes or
fails because of what ran before it or of the shell it was started from."""

from __future__ import annotations

import gc
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import HealthCheck, settings

from backend.settings import Settings

_TESTS = Path(__file__).parent
_REAL_PARTS = ("integration", "fuzz", "browser", "swarm", "multinode")
# Deployment suites drive `unmute-ops` against real engines and may be configured by
# their runner's environment; every other test builds the settings it needs.
_OWN_SETTINGS_PARTS = ("unit", "integration", "fuzz", "browser")

# Hypothesis's default 200 ms per example and its data-generation health check are
# wall-clock limits: on a busy host they fail a property that holds. Tests check
# behaviour; speed is measured in benchmarks.
settings.register_profile("unmute", deadline=None, suppress_health_check=[HealthCheck.too_slow])
settings.load_profile("unmute")


def _part(path: Path) -> str | None:
    return path.relative_to(_TESTS).parts[0] if _TESTS in path.parents else None


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if _part(Path(item.path)) in _REAL_PARTS:
            item.add_marker(pytest.mark.integration)


def _backend_variables() -> set[str]:
    """Every environment variable the backend's settings read (UNMUTE_*, KYUTAI_*)."""
    names: set[str] = set()
    for field in Settings.model_fields.values():
        alias = field.validation_alias
        names.update(getattr(alias, "choices", [alias] if isinstance(alias, str) else []))
    return {name for name in names if isinstance(name, str)}


_BACKEND_VARIABLES = _backend_variables()


@pytest.fixture(autouse=True, scope="module")
def _no_backend_settings_from_the_shell(request: pytest.FixtureRequest) -> Iterator[None]:
    """A developer's exported UNMUTE_LLM_URL or UNMUTE_TOOLS_CONFIG would reach every
    backend a test starts (in process or as a child): tests set what they mean to. Module
    scope, so that a module's shared backend is started without them too."""
    with pytest.MonkeyPatch.context() as patch:
        if _part(Path(request.node.path)) in _OWN_SETTINGS_PARTS:
            for name in _BACKEND_VARIABLES:
                patch.delenv(name, raising=False)
        yield


@pytest.fixture(autouse=True)
def _unfrozen_heap() -> Iterator[None]:
    """A backend's lifespan freezes the heap (gc.freeze), meant for a server's whole life;
    left frozen in a test process, the cycles earlier tests left behind (apps, loops,
    sockets) would never be collected, and later tests would run on a frozen heap."""
    yield
    if gc.get_freeze_count():
        gc.unfreeze()


@pytest.fixture
def automatic_collection_off() -> Iterator[None]:
    """Only reference counting (and explicit `gc.collect` calls) frees objects during the
    test: what a cycle keeps stays kept, however many objects the test makes."""
    gc.disable()
    try:
        yield
    finally:
        gc.enable()
