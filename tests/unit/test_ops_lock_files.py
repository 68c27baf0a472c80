"""The lock files each image installs: every package pinned with its hashes, and each image's
file holding what its component runs and not what the others do."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from ops.swarm.wheelhouse import IMAGE_LOCKS

ROOT = Path(__file__).resolve().parents[2]
PIN = re.compile(r"^([A-Za-z0-9][A-Za-z0-9._-]*)(\[[^\]]*\])?==\S+")


def locked(lock: Path) -> dict[str, str]:
    """Package name → its requirement (continuation lines joined)."""
    requirements: dict[str, str] = {}
    for line in (ROOT / lock).read_text().replace("\\\n", " ").splitlines():
        if line and not line.startswith((" ", "#")):
            match = PIN.match(line)
            assert match, f"{lock}: not an exact pin: {line}"
            requirements[match.group(1).lower()] = line
    return requirements


@pytest.mark.parametrize("lock", [*IMAGE_LOCKS.values(), Path("requirements/dev.txt")])
def test_every_package_is_pinned_with_its_hashes(lock: Path) -> None:
    requirements = locked(lock)
    assert requirements
    for name, line in requirements.items():
        assert "--hash=sha256:" in line, f"{lock}: {name} has no hash"


def test_the_backend_image_carries_no_engine_plotting_or_docker_package() -> None:
    backend = locked(IMAGE_LOCKS["backend"])
    assert {"fastapi", "uvicorn", "pydantic-settings", "typer"} <= set(backend)
    absent = {
        "matplotlib",
        "docker",
        "pocketsphinx",
        "espeakng-loader",
        "webrtcvad-wheels",
        "llama-cpp-python",
        "onnxruntime",
        "faster-whisper",
    }
    assert not absent & set(backend)


def test_the_speech_image_carries_the_light_engines_and_the_llm_only() -> None:
    speech = locked(IMAGE_LOCKS["speech"])
    assert {"pocketsphinx", "espeakng-loader", "webrtcvad-wheels", "llama-cpp-python"} <= set(
        speech
    )
    assert not {"matplotlib", "docker", "emoji", "onnxruntime", "faster-whisper"} & set(speech)


def test_all_locks_agree_on_versions() -> None:
    everything = locked(Path("requirements/dev.txt"))
    for lock in sorted((ROOT / "requirements").glob("*.txt")):
        if lock.name == "models.txt":
            continue
        for name, line in locked(lock.relative_to(ROOT)).items():
            assert line.split()[0] == everything[name].split()[0], f"{lock.name}: {name}"
