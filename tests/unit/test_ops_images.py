"""`unmute-ops images`: the frontend image is never built without the browser app."""

from __future__ import annotations

from pathlib import Path
from typing import Any, cast

import pytest

from ops.swarm.engine import SwarmError
from ops.swarm.images import build_images, built_app
from ops.swarm.wheelhouse import source_name_and_version


def test_the_built_app_is_its_static_export(tmp_path: Path) -> None:
    (tmp_path / "index.html").write_text("<html></html>")
    assert built_app(tmp_path) == tmp_path


def test_without_the_built_app_the_build_stops_first_and_says_how_to_build_it(
    tmp_path: Path,
) -> None:
    # No Docker engine: the check comes before any image work.
    engine = cast(Any, None)
    with pytest.raises(SwarmError, match=r"index\.html is missing.*npm run build"):
        build_images(engine, cache_dir=tmp_path / "cache", frontend_dir=tmp_path / "out")
    assert not (tmp_path / "cache").exists()


def test_a_source_package_is_named_by_its_file() -> None:
    source = Path("llama_cpp_python-0.3.36.tar.gz")
    assert source_name_and_version(source) == ("llama_cpp_python", "0.3.36")
    with pytest.raises(SwarmError):
        source_name_and_version(Path("nameless.tar.gz"))
