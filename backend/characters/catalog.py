"""The characters offered by `GET /v1/voices`, loaded from `voices.yaml` and validated.

Existing load testers reject unknown keys in an entry, so every model here forbids extra
keys, and an entry serialises back to exactly `name, good, instructions, source`.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    SerializerFunctionWrapHandler,
    TypeAdapter,
    ValidationError,
    field_validator,
    model_serializer,
)

from backend.realtime.events import (
    ConstantInstructions,
    GuessAnimalInstructions,
    Instructions,
    NewsInstructions,
    QuizShowInstructions,
    SmalltalkInstructions,
    UnmuteExplanationInstructions,
)

BUNDLED_VOICES_FILE = Path(__file__).with_name("voices.yaml")

_INSTRUCTION_FIELDS: dict[str, set[str]] = {
    model.model_fields["type"].default: set(model.model_fields)
    for model in (
        ConstantInstructions,
        SmalltalkInstructions,
        GuessAnimalInstructions,
        QuizShowInstructions,
        NewsInstructions,
        UnmuteExplanationInstructions,
    )
}


class CatalogError(ValueError):
    """The voices file is missing, not YAML, or not a valid list of characters."""


class FileVoiceSource(BaseModel):
    """A voice file on the TTS server; `path_on_server` is the id the TTS is given."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    source_type: Literal["file"] = "file"
    path_on_server: str = Field(min_length=1)
    description: str
    description_link: str | None = None

    @model_serializer(mode="wrap")
    def _omit_absent_link(self, handler: SerializerFunctionWrapHandler) -> dict[str, Any]:
        # `description_link` is optional on the wire: absent, never null.
        data: dict[str, Any] = handler(self)
        if data.get("description_link") is None:
            data.pop("description_link", None)
        return data


class VoiceEntry(BaseModel):
    """One character: a name, a voice and the instructions that give it a personality."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str = Field(min_length=1)
    good: bool
    instructions: Instructions
    source: FileVoiceSource

    @property
    def voice_id(self) -> str:
        return self.source.path_on_server

    @field_validator("instructions", mode="before")
    @classmethod
    def _no_unknown_instruction_keys(cls, value: Any) -> Any:
        # The instruction models themselves ignore extra keys; a typo here must not.
        if isinstance(value, dict):
            known = _INSTRUCTION_FIELDS.get(str(value.get("type")))
            unknown = set(value) - known if known is not None else set()
            if unknown:
                raise ValueError(f"unknown instruction keys: {', '.join(sorted(unknown))}")
        return value


_entries_adapter: TypeAdapter[list[VoiceEntry]] = TypeAdapter(list[VoiceEntry])


class VoiceCatalog:
    """An ordered, non-empty list of characters with unique names."""

    def __init__(self, voices: Sequence[VoiceEntry]) -> None:
        if not voices:
            raise CatalogError("the voice catalog is empty")
        names = [voice.name for voice in voices]
        duplicates = sorted({name for name in names if names.count(name) > 1})
        if duplicates:
            raise CatalogError(f"duplicate character names: {', '.join(duplicates)}")
        self._voices = list(voices)

    @classmethod
    def from_yaml(cls, path: Path) -> VoiceCatalog:
        try:
            data = yaml.safe_load(path.read_text(encoding="utf-8"))
        except (OSError, yaml.YAMLError) as error:
            raise CatalogError(f"cannot read voices file {path}: {error}") from error
        try:
            return cls(_entries_adapter.validate_python(data))
        except ValidationError as error:
            raise CatalogError(f"invalid voices file {path}: {error}") from error

    def list_voices(self) -> list[VoiceEntry]:
        return list(self._voices)

    def find_by_voice(self, voice_id: str) -> VoiceEntry | None:
        """The first character speaking with `voice_id` (a `path_on_server`), if any."""
        return next((voice for voice in self._voices if voice.voice_id == voice_id), None)

    def default_voice(self) -> VoiceEntry:
        """The first entry marked good, else the first entry."""
        return next((voice for voice in self._voices if voice.good), self._voices[0])
