"""Typed moshi messages and their msgpack codec, with a numpy fast path for audio.

Every WebSocket frame of both speech protocols is one msgpack map whose `type` names the
message. Messages are frozen msgspec structs tagged by that `type`; a `MessageDecoder`
knows the types one side may receive, and a frame it cannot accept raises a
`ProtocolError` whose text names the message type and the field at fault, so a server
can answer `Error` and a client can log what a server got wrong. Unknown keys are
ignored, as moshi-server ignores them.

`Audio` is not a struct: one goes by every 80 ms per stream, and numpy packs and reads
its float32 samples in place (`audio_frames`) instead of through a list of Python floats.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any, Generic, TypeVar, Union, cast

import msgpack
import msgspec
import numpy as np
import numpy.typing as npt

from backend.speech_protocol.audio_frames import pack_audio_frame, parse_audio_frame


class ProtocolError(ValueError):
    """A frame that is not a valid message for its receiver; the text says why."""


class NotAMessage(ProtocolError):
    """Not a msgpack map with a string `type`: no message of either protocol."""


class UnknownMessageType(ProtocolError):
    """A typed map whose `type` this receiver does not take."""

    def __init__(self, message_type: str, expected: Iterable[str]) -> None:
        names = ", ".join(repr(name) for name in expected)
        super().__init__(f"unknown message type {message_type!r}; expected one of {names}")
        self.message_type = message_type


class MalformedMessage(ProtocolError):
    """A known message type with a field missing or of the wrong type."""


class Message(msgspec.Struct, frozen=True, tag_field="type", tag=True):
    """A message of a speech protocol; its class name is its `type` unless a subclass
    names another tag (`tag="…"`)."""


class Ready(Message, frozen=True):
    """The server allocated a slot for this stream (both protocols)."""


class Error(Message, frozen=True):
    """The server refuses or ends the stream (both protocols); `NO_FREE_CHANNELS` when
    all its slots are busy."""

    message: str


@dataclass(frozen=True, eq=False)
class Audio:
    """`Audio {pcm}`, either way: mono float32 PCM at 24 kHz in [-1, 1]."""

    pcm: npt.NDArray[np.float32]


class _AudioFields(Message, frozen=True, tag="Audio"):
    """An `Audio` frame the fast path did not take (float64 or integer samples)."""

    pcm: list[float]


class _Envelope(msgspec.Struct):
    type: str


_envelope = msgspec.msgpack.Decoder(_Envelope)

M = TypeVar("M")


def message_type(message_class: type[Message]) -> str:
    """The `type` a struct class is tagged with on the wire."""
    tag = msgspec.inspect.type_info(message_class)
    assert isinstance(tag, msgspec.inspect.StructType) and isinstance(tag.tag, str)
    return tag.tag


class MessageDecoder(Generic[M]):
    """Reads the frames one side of a protocol receives; `M` is the union of their types.

    Pass `Audio` among `message_classes` when `Audio` frames are expected.
    """

    def __init__(self, *message_classes: type[M]) -> None:
        structs: list[type[Message]] = []
        self._takes_audio = False
        for message_class in message_classes:
            if message_class is Audio:
                self._takes_audio = True
                structs.append(_AudioFields)
            else:
                assert issubclass(message_class, Message), message_class
                structs.append(message_class)
        self.message_types = tuple(message_type(struct) for struct in structs)
        union: Any = Union[tuple(structs)]  # noqa: UP007 - a union built at run time
        self._decoder: msgspec.msgpack.Decoder[Any] = msgspec.msgpack.Decoder(union)

    def decode(self, frame: bytes | str) -> M:
        """The typed message in one WebSocket frame; raises `ProtocolError` with the reason."""
        if isinstance(frame, str):
            raise NotAMessage("expected binary msgpack frames, got a text frame")
        if self._takes_audio:
            pcm = parse_audio_frame(frame)
            if pcm is not None:
                return cast(M, Audio(pcm))  # the caller listed Audio among M
        try:
            message = self._decoder.decode(frame)
        except msgspec.ValidationError as error:
            raise self._explain(frame, error) from None
        except msgspec.DecodeError as error:
            raise NotAMessage(f"not a msgpack message: {error}") from None
        if isinstance(message, _AudioFields):
            return cast(M, Audio(np.asarray(message.pcm, dtype=np.float32)))
        return cast(M, message)

    def _explain(self, frame: bytes, error: msgspec.ValidationError) -> ProtocolError:
        """Which of the three ways a frame can fail validation this one took."""
        try:
            kind = _envelope.decode(frame).type
        except msgspec.MsgspecError:
            return NotAMessage("a message must be a msgpack map with a string `type` key")
        if kind not in self.message_types:
            return UnknownMessageType(kind, self.message_types)
        return MalformedMessage(f"malformed {kind} message: {error}")


def encode(message: Message | Audio) -> bytes:
    """One msgpack frame, floats as float32 and strings as str, as moshi-server writes."""
    if isinstance(message, Audio):
        return pack_audio_frame(message.pcm)
    return pack(msgspec.to_builtins(message))


def pack(message: Any) -> bytes:
    """Builtin values as one msgpack frame, the way `encode` writes messages."""
    packed: bytes = msgpack.packb(message, use_bin_type=True, use_single_float=True)
    return packed
