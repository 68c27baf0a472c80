"""Which apt mirror the air-gapped base image is bootstrapped from."""

from __future__ import annotations

from pathlib import Path

from ops.swarm.base_image import (
    FALLBACK_MIRROR,
    WEB_PACKAGES,
    base_image_tag,
    configured_mirror,
)


def test_the_debian_archive_from_deb822_sources(tmp_path: Path) -> None:
    (tmp_path / "sources.list.d").mkdir()
    (tmp_path / "sources.list.d" / "debian.sources").write_text(
        "Types: deb\nURIs: http://mirror.example/debian\nSuites: bookworm bookworm-updates\n"
        "Components: main\n\nTypes: deb\nURIs: http://mirror.example/debian-security\n"
        "Suites: bookworm-security\nComponents: main\n"
    )
    assert configured_mirror(tmp_path) == "http://mirror.example/debian"


def test_the_debian_archive_from_a_one_line_sources_list(tmp_path: Path) -> None:
    (tmp_path / "sources.list").write_text(
        "# local\ndeb [arch=amd64] http://apt.example/debian bookworm main contrib\n"
    )
    assert configured_mirror(tmp_path) == "http://apt.example/debian"


def test_without_sources_the_public_archive(tmp_path: Path) -> None:
    assert configured_mirror(tmp_path) == FALLBACK_MIRROR


def test_the_base_image_is_named_by_its_inputs() -> None:
    assert base_image_tag("http://a/debian") == base_image_tag("http://a/debian")
    assert base_image_tag("http://a/debian") != base_image_tag("http://b/debian")


def test_each_package_set_has_its_own_base_image() -> None:
    assert base_image_tag("http://a/debian", WEB_PACKAGES) != base_image_tag("http://a/debian")
