"""Choosing and loading the GGUF file: the packaged model, a path, a Hugging Face download
found in its cache without the network, and clear errors for missing or broken files."""

from __future__ import annotations

import shutil
from pathlib import Path

import huggingface_hub.constants
import pytest

from embedded.llm.model_files import HubFile, InvalidModel, download, model_path
from embedded.llm.model_loading import load_engine, load_llama
from embedded.llm.requantize import converted_path, needs_conversion
from embedded.llm.settings import EngineSettings
from embedded.model_packages import ModelNotFound

COMMIT = "0123456789abcdef0123456789abcdef01234567"
SETTINGS = EngineSettings(context_tokens=512)


@pytest.fixture(scope="module")
def packaged() -> Path:
    return model_path()


@pytest.fixture
def offline(monkeypatch: pytest.MonkeyPatch) -> None:
    """No test may reach the network: the hub library is told it is offline."""
    monkeypatch.setattr(huggingface_hub.constants, "HF_HUB_OFFLINE", True)


def hub_cache_with(folder: Path, repo_id: str, filename: str, source: Path) -> Path:
    """A Hugging Face cache holding one downloaded file (the library's documented layout)."""
    repo = folder / ("models--" + repo_id.replace("/", "--"))
    (repo / "refs").mkdir(parents=True)
    (repo / "refs" / "main").write_text(COMMIT)
    snapshot = repo / "snapshots" / COMMIT / filename
    snapshot.parent.mkdir(parents=True)
    snapshot.symlink_to(source)
    return snapshot


# --- Which file -------------------------------------------------------------------------


def test_the_packaged_model_is_the_default_and_a_gguf_file(packaged: Path) -> None:
    assert packaged.name == "SmolLM2-135M-Instruct.Q4_1.gguf"
    assert packaged.read_bytes()[:4] == b"GGUF"


def test_a_hub_file_is_a_repository_and_a_path_in_it() -> None:
    file = HubFile.parse("bartowski/Llama-3.2-1B-Instruct-GGUF/Llama-3.2-1B-Instruct-Q4_K_M.gguf")
    assert file.repo_id == "bartowski/Llama-3.2-1B-Instruct-GGUF"
    assert file.filename == "Llama-3.2-1B-Instruct-Q4_K_M.gguf"
    assert HubFile.parse("acme/models/q4/tiny.gguf").filename == "q4/tiny.gguf"


@pytest.mark.parametrize(
    "spec", ["tiny.gguf", "acme/tiny.gguf", "acme/repo/readme.md", "a//b.gguf"]
)
def test_a_malformed_hub_file_is_refused_with_an_example(spec: str) -> None:
    with pytest.raises(ValueError, match="REPO/FILE"):
        HubFile.parse(spec)


def test_a_file_and_a_download_at_once_are_refused(packaged: Path) -> None:
    with pytest.raises(ValueError, match="not both"):
        model_path(packaged, "acme/repo/tiny.gguf")


def test_a_missing_file_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(ModelNotFound, match="--model-file PATH") as missing:
        model_path(tmp_path / "nothing.gguf")
    assert str(tmp_path / "nothing.gguf") in str(missing.value)


def test_a_folder_or_a_file_that_is_not_gguf_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(InvalidModel, match="is a folder"):
        model_path(tmp_path)
    weights = tmp_path / "model.safetensors"
    weights.write_bytes(b"\x00" * 64)
    with pytest.raises(InvalidModel, match="not a GGUF file"):
        model_path(weights)


# --- Downloads, without the network ---------------------------------------------------------


def test_a_downloaded_file_is_found_in_the_cache_offline(
    tmp_path: Path, packaged: Path, offline: None
) -> None:
    cached = hub_cache_with(tmp_path, "acme/tiny-GGUF", "tiny.gguf", packaged)
    assert download(HubFile.parse("acme/tiny-GGUF/tiny.gguf"), tmp_path) == cached
    assert model_path(model="acme/tiny-GGUF/tiny.gguf", hub_cache=tmp_path) == cached


def test_a_download_that_cannot_happen_says_what_to_do(tmp_path: Path, offline: None) -> None:
    with pytest.raises(ModelNotFound) as failed:
        download(HubFile.parse("acme/tiny-GGUF/tiny.gguf"), tmp_path)
    message = str(failed.value)
    assert "cannot download acme/tiny-GGUF/tiny.gguf" in message
    assert "--model-file PATH" in message


# --- Loading ------------------------------------------------------------------------------


def test_a_truncated_model_is_a_clear_error_naming_the_cause(
    tmp_path: Path, packaged: Path
) -> None:
    truncated = tmp_path / "truncated.gguf"
    with packaged.open("rb") as source:
        truncated.write_bytes(source.read(packaged.stat().st_size // 2))
    with pytest.raises(InvalidModel) as broken:
        load_llama(truncated, SETTINGS)
    message = str(broken.value)
    assert str(truncated) in message
    assert "corrupted or incomplete" in message  # llama.cpp's own diagnosis
    assert "download it again" in message


def test_garbage_after_a_gguf_header_is_a_clear_error(tmp_path: Path) -> None:
    garbage = tmp_path / "garbage.gguf"
    garbage.write_bytes(b"GGUF" + bytes(range(256)) * 8)
    with pytest.raises(InvalidModel, match=r"llama\.cpp cannot load"):
        load_llama(garbage, SETTINGS)


def test_a_damaged_conversion_is_made_again(tmp_path: Path, packaged: Path) -> None:
    model = tmp_path / "model.gguf"
    shutil.copyfile(packaged, model)
    cache = tmp_path / "cache"
    cache.mkdir()
    damaged = converted_path(model, cache)
    damaged.write_bytes(b"GGUF" + b"\x00" * 64)
    engine = load_engine(model, SETTINGS, name="tiny", cache_dir=cache)
    engine.close()
    assert damaged.stat().st_size > model.stat().st_size  # Q8_0 is bigger than Q4_1
    assert list(cache.iterdir()) == [damaged]


# --- The CPU layout ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("file_type", "convert"),
    [("3", True), ("8", True), ("9", True), ("2", False), ("7", False), ("15", False), ("", False)],
)
def test_only_layouts_without_a_fast_cpu_path_are_converted(file_type: str, convert: bool) -> None:
    # 3, 8, 9: Q4_1, Q5_0, Q5_1. 2, 7, 15: Q4_0, Q8_0, Q4_K_M.
    assert needs_conversion({"general.file_type": file_type}) is convert


def test_a_replaced_model_file_gets_a_new_conversion(tmp_path: Path) -> None:
    model = tmp_path / "model.gguf"
    model.write_bytes(b"GGUF one")
    first = converted_path(model, tmp_path / "cache")
    model.write_bytes(b"GGUF, another one")
    assert converted_path(model, tmp_path / "cache") != first
    assert first.name.startswith("model-") and first.name.endswith(".Q8_0.gguf")
