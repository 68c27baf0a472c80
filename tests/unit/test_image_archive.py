"""The image archive is complete only once written to its end: a run stopped half-way
leaves nothing that the next test bed would load."""

from __future__ import annotations

from pathlib import Path

import pytest

from ops.swarm.engine import SwarmError
from ops.swarm.image_archive import is_complete, load_images, names_path


def test_an_archive_without_its_names_or_its_tarball_is_not_complete(tmp_path: Path) -> None:
    archive = tmp_path / "images.tar"
    assert not is_complete(archive)
    names_path(archive).write_text('{"UNMUTE_BACKEND_IMAGE": "unmute/backend:abc"}')
    assert not is_complete(archive), "names written, the archive not yet renamed into place"
    archive.write_bytes(b"")
    assert is_complete(archive)


def test_loading_an_incomplete_archive_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(SwarmError, match="not a complete image archive"):
        load_images("unix:///nonexistent.sock", tmp_path / "images.tar")
