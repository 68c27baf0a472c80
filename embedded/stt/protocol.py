"""The messages of moshi-server's `asr-streaming` protocol, as this server reads and writes them.

Clients send msgpack maps with a `type` key: `Audio {pcm: [float…]}` (24 kHz, any length)
and `Marker {id}`. Anything else is an `InvalidMessage`, answered with `Error` by the
stream; it never reaches the audio path.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import msgpack
import numpy as np
import numpy.typing as npt

SAMPLE_RATE = 24_000
FRAME_SAMPLES = 1920  # moshi-server's 80 ms step
MAX_AUDIO_MESSAGE_S = 60  # longer is a client bug, and would tie up the event loop
MAX_AUDIO_MESSAGE_SAMPLES = SAMPLE_RATE * MAX_AUDIO_MESSAGE_S
_MAX_MAP_KEYS = 16  # real messages have two or three keys
_MAX_STRING_BYTES = 1024  # type names are short; a long string is not one of ours


class InvalidMessage(ValueError):
    """A client frame that is not a valid `Audio` or `Marker` message."""


@dataclass(frozen=True)
class AudioIn:
    """Mono float32 PCM at 24 kHz, finite, any length."""

    pcm: npt.NDArray[np.float32]


@dataclass(frozen=True)
class MarkerIn:
    """Echo `id` back once all audio sent before it has been processed."""

    id: int


ClientMessage = AudioIn | MarkerIn


def parse_client_frame(frame: bytes | str) -> ClientMessage:
    """The typed message in one WebSocket frame; raises `InvalidMessage` with the reason."""
    if isinstance(frame, str):
        raise InvalidMessage("expected binary msgpack frames, got a text frame")
    try:
        message = msgpack.unpackb(
            frame,
            raw=False,
            max_array_len=MAX_AUDIO_MESSAGE_SAMPLES,
            max_map_len=_MAX_MAP_KEYS,
            max_str_len=_MAX_STRING_BYTES,
            max_bin_len=0,
            max_ext_len=0,
        )
    except (ValueError, TypeError, msgpack.UnpackException) as error:
        raise InvalidMessage(f"not a msgpack message: {error}") from error
    if not isinstance(message, dict):
        raise InvalidMessage("a message must be a msgpack map with a `type` key")
    kind = message.get("type")
    if kind == "Audio":
        return AudioIn(_pcm_field(message))
    if kind == "Marker":
        marker_id = message.get("id")
        if not isinstance(marker_id, int) or isinstance(marker_id, bool):
            raise InvalidMessage("Marker.id must be an integer")
        return MarkerIn(marker_id)
    raise InvalidMessage(f"unknown message type {kind!r}; expected 'Audio' or 'Marker'")


def _pcm_field(message: dict[str, Any]) -> npt.NDArray[np.float32]:
    pcm = message.get("pcm")
    if not isinstance(pcm, list):
        raise InvalidMessage("Audio.pcm must be an array of floats")
    try:
        samples = np.asarray(pcm) if pcm else np.zeros(0, dtype=np.float32)
    except (ValueError, TypeError) as error:  # ragged nested arrays
        raise InvalidMessage("Audio.pcm must be a flat array of numbers") from error
    if samples.ndim != 1 or samples.dtype.kind not in "fi":
        raise InvalidMessage("Audio.pcm must be a flat array of numbers")
    samples = samples.astype(np.float32)
    if not np.isfinite(samples).all():
        raise InvalidMessage("Audio.pcm holds NaN or infinite samples")
    # Out-of-range samples are clipped, not refused: a hot microphone is not a protocol error.
    clipped: npt.NDArray[np.float32] = np.clip(samples, -1.0, 1.0)
    return clipped


def ready() -> dict[str, Any]:
    return {"type": "Ready"}


def error(message: str) -> dict[str, Any]:
    return {"type": "Error", "message": message}


def word(text: str, start_time: float) -> dict[str, Any]:
    return {"type": "Word", "text": text, "start_time": start_time}


def end_word(stop_time: float) -> dict[str, Any]:
    return {"type": "EndWord", "stop_time": stop_time}


def step(step_idx: int, prs: Sequence[float], buffered_pcm: int) -> dict[str, Any]:
    return {"type": "Step", "step_idx": step_idx, "prs": list(prs), "buffered_pcm": buffered_pcm}


def marker(marker_id: int) -> dict[str, Any]:
    return {"type": "Marker", "id": marker_id}
