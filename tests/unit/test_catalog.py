"""The bundled characters and the rules every voices file must follow."""

from __future__ import annotations

import re
from pathlib import Path
from typing import get_args

import pytest
import yaml

from backend.characters.catalog import (
    BUNDLED_VOICES_FILE,
    CatalogError,
    VoiceCatalog,
)
from backend.metrics import BackendMetrics
from backend.realtime.events import ConstantInstructions, Instructions
from backend.services import Services
from backend.settings import Settings

ENTRY_KEYS = {"name", "good", "instructions", "source"}
# Folders of Kyutai's public voice repository (kyutai/tts-voices) that hold voice files.
KYUTAI_VOICE_PATH = re.compile(r"^(unmute-prod-website|expresso|vctk|ears|cml-tts)/\S+\.(wav|mp3)$")


@pytest.fixture
def bundled() -> VoiceCatalog:
    return VoiceCatalog.from_yaml(BUNDLED_VOICES_FILE)


def write_voices(tmp_path: Path, entries: object) -> Path:
    path = tmp_path / "voices.yaml"
    path.write_text(yaml.safe_dump(entries, allow_unicode=True), encoding="utf-8")
    return path


def a_valid_entry(**changes: object) -> dict[str, object]:
    entry: dict[str, object] = {
        "name": "Tess",
        "good": True,
        "instructions": {"type": "smalltalk"},
        "source": {
            "source_type": "file",
            "path_on_server": "expresso/x.wav",
            "description": "A test voice.",
        },
    }
    entry.update(changes)
    return entry


def test_every_entry_serialises_to_exactly_the_wire_keys(bundled: VoiceCatalog) -> None:
    for voice in bundled.list_voices():
        wire = voice.model_dump(mode="json")
        assert set(wire) == ENTRY_KEYS
        assert set(wire["source"]) <= {
            "source_type",
            "path_on_server",
            "description",
            "description_link",
        }
        assert {"source_type", "path_on_server", "description"} <= set(wire["source"])
        assert wire["source"]["source_type"] == "file"


def test_serialised_entries_match_the_yaml_file(bundled: VoiceCatalog) -> None:
    raw = yaml.safe_load(BUNDLED_VOICES_FILE.read_text(encoding="utf-8"))
    wire = [voice.model_dump(mode="json", exclude_none=True) for voice in bundled.list_voices()]
    assert wire == raw


def test_every_instructions_type_has_a_character(bundled: VoiceCatalog) -> None:
    union = get_args(get_args(Instructions)[0])
    all_types = {model.model_fields["type"].default for model in union}
    offered = {voice.instructions.type for voice in bundled.list_voices()}
    assert offered == all_types


def test_several_distinct_constant_personalities(bundled: VoiceCatalog) -> None:
    texts = {
        voice.instructions.text
        for voice in bundled.list_voices()
        if isinstance(voice.instructions, ConstantInstructions)
    }
    assert len(texts) >= 2


def test_voice_ids_are_files_of_kyutais_voice_repository(bundled: VoiceCatalog) -> None:
    for voice in bundled.list_voices():
        assert KYUTAI_VOICE_PATH.match(voice.voice_id), voice.voice_id


def test_lookup_by_voice_id(bundled: VoiceCatalog) -> None:
    for voice in bundled.list_voices():
        found = bundled.find_by_voice(voice.voice_id)
        assert found is not None
        assert found.voice_id == voice.voice_id
    assert bundled.find_by_voice("expresso/does-not-exist.wav") is None


def test_default_voice_is_the_first_good_one(tmp_path: Path) -> None:
    catalog = VoiceCatalog.from_yaml(
        write_voices(
            tmp_path,
            [a_valid_entry(name="Hidden", good=False), a_valid_entry(name="Shown")],
        )
    )
    assert catalog.default_voice().name == "Shown"


async def test_the_backend_offers_the_configured_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("UNMUTE_VOICES_FILE", str(write_voices(tmp_path, [a_valid_entry()])))
    services = Services.create(Settings(), BackendMetrics())
    try:
        assert [voice.name for voice in services.catalog.list_voices()] == ["Tess"]
        assert services.catalog.default_voice().name == "Tess"
    finally:
        await services.aclose()


async def test_the_backend_offers_the_bundled_file_by_default(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv("UNMUTE_VOICES_FILE", raising=False)
    services = Services.create(Settings(), BackendMetrics())
    try:
        bundled = VoiceCatalog.from_yaml(BUNDLED_VOICES_FILE).list_voices()
        assert services.catalog.list_voices() == bundled
    finally:
        await services.aclose()


@pytest.mark.parametrize(
    ("entry", "complaint"),
    [
        (a_valid_entry(comment="extra"), "comment"),
        (
            a_valid_entry(
                source={
                    "source_type": "file",
                    "path_on_server": "a.wav",
                    "description": "d",
                    "license": "x",
                }
            ),
            "license",
        ),
        (a_valid_entry(instructions={"type": "smalltalk", "txt": "typo"}), "txt"),
        (a_valid_entry(instructions={"type": "pirate"}), "pirate"),
        (a_valid_entry(instructions={"type": "smalltalk", "language": "de"}), "language"),
        ({"name": "Tess", "good": True, "instructions": {"type": "smalltalk"}}, "source"),
    ],
    ids=[
        "extra-key",
        "extra-source-key",
        "instruction-typo",
        "unknown-type",
        "language",
        "no-source",
    ],
)
def test_invalid_entries_are_rejected_with_a_reason(
    tmp_path: Path, entry: dict[str, object], complaint: str
) -> None:
    with pytest.raises(CatalogError, match=complaint):
        VoiceCatalog.from_yaml(write_voices(tmp_path, [entry]))


def test_duplicate_names_and_empty_files_are_rejected(tmp_path: Path) -> None:
    with pytest.raises(CatalogError, match="duplicate character names: Tess"):
        VoiceCatalog.from_yaml(write_voices(tmp_path, [a_valid_entry(), a_valid_entry()]))
    with pytest.raises(CatalogError, match="empty"):
        VoiceCatalog.from_yaml(write_voices(tmp_path, []))
    with pytest.raises(CatalogError, match="cannot read"):
        VoiceCatalog.from_yaml(tmp_path / "missing.yaml")
