"""Debian base images made without a registry: debootstrap from the apt mirror this machine
already uses, then `docker import`. Each root file system is cached as a tarball, so only the
first build on a machine downloads packages."""

from __future__ import annotations

import hashlib
import os
import re
import shutil
import subprocess
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from ops.swarm.engine import SwarmError

if TYPE_CHECKING:
    import docker

# Bookworm's Python is 3.11, the version the wheels are built for on the build host.
DEBIAN_SUITE = "bookworm"
# Python with venv for our images, CA certificates for TLS (Traefik's ACME, outbound HTTPS),
# libopus for the backend's bot-voice encoder (six times cheaper than the bundled one),
# libgomp1 for llama.cpp's threads (the CPU LLM).
BASE_PACKAGES = ("python3", "python3-venv", "ca-certificates", "libopus0", "libgomp1")
# The frontend image's: nginx (static files, gzip) and nothing else.
WEB_PACKAGES = ("nginx",)
FALLBACK_MIRROR = "http://deb.debian.org/debian"
BASE_REPOSITORY = "unmute/debian-base"

Log = Callable[[str], None]


def configured_mirror(apt_dir: Path = Path("/etc/apt")) -> str:
    """The first Debian archive in this machine's apt sources that serves DEBIAN_SUITE."""
    for source in sorted(apt_dir.glob("sources.list.d/*.sources")):
        for stanza in source.read_text().split("\n\n"):
            fields = _deb822_fields(stanza)
            suites = fields.get("suites", "").split()
            if DEBIAN_SUITE in suites and "deb" in fields.get("types", "").split():
                return fields.get("uris", "").split()[0]
    one_line = apt_dir / "sources.list"
    if one_line.is_file():
        pattern = re.compile(r"^deb\s+(?:\[[^\]]*\]\s+)?(\S+)\s+" + DEBIAN_SUITE + r"\s")
        for line in one_line.read_text().splitlines():
            if match := pattern.match(line.strip() + " "):
                return match.group(1)
    return FALLBACK_MIRROR


def _deb822_fields(stanza: str) -> dict[str, str]:
    fields: dict[str, str] = {}
    for line in stanza.splitlines():
        if line.startswith("#") or ":" not in line or line[:1].isspace():
            continue
        key, value = line.split(":", 1)
        fields[key.strip().lower()] = value.strip()
    return fields


def base_image_tag(mirror: str, packages: tuple[str, ...] = BASE_PACKAGES) -> str:
    """Named by what goes into it, so a change of packages or mirror makes a new image."""
    key = hashlib.sha256(f"{DEBIAN_SUITE} {mirror} {' '.join(packages)}".encode())
    return f"{BASE_REPOSITORY}:{DEBIAN_SUITE}-{key.hexdigest()[:12]}"


def ensure_base_image(
    client: docker.DockerClient,
    cache_dir: Path,
    log: Log,
    mirror: str | None = None,
    packages: tuple[str, ...] = BASE_PACKAGES,
) -> str:
    """The tag of a base image with `packages`, importing (and if need be bootstrapping) it
    first."""
    mirror = mirror or configured_mirror()
    tag = base_image_tag(mirror, packages)
    from docker.errors import ImageNotFound

    try:
        client.images.get(tag)
        return tag
    except ImageNotFound:
        pass
    tarball = cache_dir / f"{tag.split(':', 1)[1]}.tar"
    if not tarball.is_file():
        _bootstrap(tarball, mirror, packages, log)
    log(f"importing {tarball.name} as {tag}")
    repository, version = tag.split(":", 1)
    client.api.import_image_from_file(str(tarball), repository=repository, tag=version)
    return tag


def _bootstrap(tarball: Path, mirror: str, packages: tuple[str, ...], log: Log) -> None:
    if shutil.which("debootstrap") is None:
        raise SwarmError("debootstrap is missing: apt-get install debootstrap")
    if os.geteuid() != 0:
        raise SwarmError("making the base image needs root (debootstrap)")
    tarball.parent.mkdir(parents=True, exist_ok=True)
    log(f"debootstrap {DEBIAN_SUITE} with {', '.join(packages)} from {mirror} (first time only)")
    with tempfile.TemporaryDirectory(dir=tarball.parent, prefix="rootfs-") as work:
        root = Path(work) / "root"
        _run(
            [
                "debootstrap",
                "--variant=minbase",
                f"--include={','.join(packages)}",
                DEBIAN_SUITE,
                str(root),
                mirror,
            ]
        )
        # Downloaded packages and indexes only make the image bigger.
        for leftovers in ("var/cache/apt/archives", "var/lib/apt/lists"):
            for entry in (root / leftovers).glob("*"):
                if entry.is_file():
                    entry.unlink()
        partial = tarball.with_suffix(".partial")
        _run(["tar", "--numeric-owner", "-C", str(root), "-cf", str(partial), "."])
        partial.rename(tarball)


def _run(command: list[str]) -> None:
    result = subprocess.run(command, capture_output=True, text=True, check=False)
    if result.returncode != 0:
        tail = (result.stderr or result.stdout)[-2000:]
        raise SwarmError(f"{command[0]} failed ({result.returncode}):\n{tail}")
