"""Client for moshi-server's `asr-streaming` protocol (protocols.md §2).

One stream per conversation: the user's audio goes in as float32 PCM, recognised words,
per-frame pause probabilities (`Step`) and echoed markers come out, in order.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

from backend.clients.audio_frames import pack_audio_frame
from backend.clients.instances import InstanceChooser, connect_first_free, speech_server_up
from backend.clients.speech_errors import SpeechStreamError
from backend.clients.speech_socket import (
    CONNECT_TIMEOUT_S,
    READY_TIMEOUT_S,
    SpeechStream,
    open_speech_socket,
)

__all__ = [
    "SttEndWord",
    "SttMarker",
    "SttMessage",
    "SttStep",
    "SttStream",
    "SttWord",
    "open_stt_stream",
    "speech_server_up",
]

SERVICE = "stt"
STREAM_PATH = "/api/asr-streaming"
# Time to find a free STT node among all instances before telling the user.
OPEN_DEADLINE_S = 8.0


@dataclass(frozen=True)
class SttWord:
    """A recognised word; `start_time` is in stream seconds (audio sent so far)."""

    text: str
    start_time: float


@dataclass(frozen=True)
class SttEndWord:
    """The end of the last word."""

    stop_time: float


@dataclass(frozen=True)
class SttStep:
    """One processed 80 ms frame.

    `prs[i]` is the probability of no voice activity over the next 0.5, 1, 2 and 3 s.
    """

    step_idx: int
    prs: tuple[float, ...]
    buffered_pcm: int


@dataclass(frozen=True)
class SttMarker:
    """The marker sent with `send_marker(id)`: all audio before it has been processed."""

    id: int


SttMessage = SttWord | SttEndWord | SttStep | SttMarker


def _parse(message: dict[str, Any]) -> SttMessage | None:
    """The typed message, or None for a type this client does not know."""
    kind = message["type"]
    try:
        if kind == "Word":
            return SttWord(text=str(message["text"]), start_time=float(message["start_time"]))
        if kind == "EndWord":
            return SttEndWord(stop_time=float(message["stop_time"]))
        if kind == "Step":
            return SttStep(
                step_idx=int(message["step_idx"]),
                prs=tuple(float(p) for p in message["prs"]),
                buffered_pcm=int(message["buffered_pcm"]),
            )
        if kind == "Marker":
            return SttMarker(id=int(message["id"]))
    except (KeyError, TypeError, ValueError) as exc:
        raise SpeechStreamError(SERVICE, f"malformed {kind} message: {message!r}") from exc
    return None


class SttStream(SpeechStream[SttMessage]):
    """An open STT stream (see `SpeechStream`)."""

    def _parse(self, message: dict[str, Any]) -> SttMessage | None:
        return _parse(message)

    def send_audio(self, pcm: npt.NDArray[np.floating[Any]]) -> None:
        """Queue mono PCM in [-1, 1], any length (the server re-frames it)."""
        samples = np.asarray(pcm, dtype=np.float32)
        if samples.ndim != 1:
            raise ValueError(f"expected mono PCM (1-D), got shape {samples.shape}")
        if samples.size:
            self._socket.send_frame(pack_audio_frame(samples))

    def send_marker(self, marker_id: int) -> None:
        """Queue a marker; it comes back once all audio sent before it is processed."""
        self._socket.send({"type": "Marker", "id": int(marker_id)})


async def open_stt_stream(
    spec: str,
    api_key: str,
    *,
    deadline_s: float = OPEN_DEADLINE_S,
    connect_timeout_s: float = CONNECT_TIMEOUT_S,
    ready_timeout_s: float = READY_TIMEOUT_S,
    chooser: InstanceChooser | None = None,
) -> SttStream:
    """A ready STT stream on the first instance of `spec` with a free slot.

    `chooser` decides the order instances are tried in (see `connect_first_free`).
    Raises `ServiceUnavailable` when every instance is busy or down, and
    `SpeechAuthError` when the API key is refused.
    """

    async def open_one(base_url: str) -> SttStream:
        socket = await open_speech_socket(
            base_url + STREAM_PATH,
            api_key=api_key,
            service=SERVICE,
            connect_timeout_s=connect_timeout_s,
            ready_timeout_s=ready_timeout_s,
        )
        return SttStream(socket, instance=base_url)

    return await connect_first_free(
        spec, open_one, service=SERVICE, deadline_s=deadline_s, chooser=chooser
    )
