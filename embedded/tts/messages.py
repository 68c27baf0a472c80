"""The tts_streaming wire messages (protocols.md §3), typed in both directions.

Every WebSocket frame is one msgpack map with a `type` key. Client messages are
validated with pydantic; server messages are small dataclasses packed by hand because
an `Audio` frame goes out every 80 ms per stream and needs no validation.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Any, Literal

import msgpack
import numpy as np
import numpy.typing as npt
from pydantic import BaseModel, Field, TypeAdapter, ValidationError

from embedded.speech_common import pack

FRAME_SAMPLES = 1920  # 80 ms at 24 kHz, moshi's frame


class TextIn(BaseModel):
    type: Literal["Text"]
    text: str


class VoiceIn(BaseModel):
    """A cloned voice; `embeddings` and `shape` are checked by the voice profile reader."""

    type: Literal["Voice"]
    embeddings: Any = None
    shape: Any = None


class EosIn(BaseModel):
    type: Literal["Eos"]


ClientMessage = Annotated[TextIn | VoiceIn | EosIn, Field(discriminator="type")]
_client_message: TypeAdapter[TextIn | VoiceIn | EosIn] = TypeAdapter(ClientMessage)


class MalformedFrame(ValueError):
    """A frame that is not a valid client message; the text says why."""


def parse_client_frame(frame: bytes | str) -> TextIn | VoiceIn | EosIn:
    if isinstance(frame, str):
        raise MalformedFrame("expected a binary msgpack frame, got text")
    try:
        decoded = msgpack.unpackb(frame, raw=False, strict_map_key=False)
    except (ValueError, TypeError) as error:  # every msgpack decode error is a ValueError
        raise MalformedFrame(f"not msgpack: {error}") from None
    if not isinstance(decoded, dict) or not isinstance(decoded.get("type"), str):
        raise MalformedFrame("expected a map with a string `type`")
    try:
        return _client_message.validate_python(decoded)
    except ValidationError as error:
        first = error.errors()[0]
        where = ".".join(str(part) for part in first["loc"])
        raise MalformedFrame(
            f"invalid {decoded['type']!r} message at {where}: {first['msg']}"
        ) from None


@dataclass(frozen=True)
class ReadyOut:
    def to_frame(self) -> bytes:
        return pack({"type": "Ready"})


@dataclass(frozen=True)
class ErrorOut:
    message: str

    def to_frame(self) -> bytes:
        return pack({"type": "Error", "message": self.message})


@dataclass(frozen=True)
class TextOut:
    text: str
    start_s: float
    stop_s: float

    def to_frame(self) -> bytes:
        return pack(
            {"type": "Text", "text": self.text, "start_s": self.start_s, "stop_s": self.stop_s}
        )


@dataclass(frozen=True, eq=False)
class AudioOut:
    pcm: npt.NDArray[np.float32]  # exactly FRAME_SAMPLES

    def to_frame(self) -> bytes:
        return pack({"type": "Audio", "pcm": self.pcm.tolist()})


ServerMessage = ReadyOut | ErrorOut | TextOut | AudioOut
