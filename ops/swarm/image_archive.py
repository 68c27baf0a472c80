"""The stack's built images kept as one `docker save` archive, with the stack variables
(UNMUTE_*_IMAGE) that name them beside it: another engine loads them instead of building
them again (each test bed starts with an empty engine, and a build is the slow part)."""

from __future__ import annotations

import json
import subprocess
from collections.abc import Mapping
from pathlib import Path

from ops.swarm.engine import SwarmError

ARCHIVE_TIMEOUT_S = 900.0


def names_path(archive: Path) -> Path:
    return archive.with_name(f"{archive.name}.images.json")


def is_complete(archive: Path) -> bool:
    """Written to its end: the names are written first, the archive renamed into place last."""
    return archive.is_file() and names_path(archive).is_file()


def save_images(docker_host: str, images: Mapping[str, str], archive: Path) -> None:
    """The images, their shared layers once, in one archive."""
    archive.parent.mkdir(parents=True, exist_ok=True)
    partial = archive.with_name(f"{archive.name}.partial")
    _docker(docker_host, "save", "--output", str(partial), *sorted(set(images.values())))
    names_path(archive).write_text(json.dumps(dict(images), indent=2))
    partial.rename(archive)


def load_images(docker_host: str, archive: Path) -> dict[str, str]:
    """The archive's images in this engine; the stack variables naming them."""
    if not is_complete(archive):
        raise SwarmError(f"{archive} is not a complete image archive (save_images writes one)")
    _docker(docker_host, "load", "--quiet", "--input", str(archive))
    names = json.loads(names_path(archive).read_text())
    return {str(variable): str(image) for variable, image in names.items()}


def _docker(docker_host: str, *arguments: str) -> None:
    command = ["docker", "--host", docker_host, *arguments]
    result = subprocess.run(
        command, capture_output=True, text=True, timeout=ARCHIVE_TIMEOUT_S, check=False
    )
    if result.returncode != 0:
        detail = (result.stderr or result.stdout)[-1500:]
        raise SwarmError(f"docker {arguments[0]} failed: {detail}")
