"""Client for moshi-server's `asr-streaming` protocol (protocols.md §2).

One stream per conversation: the user's audio goes in as float32 PCM, recognised words,
per-frame pause probabilities (`Step`) and echoed markers come out, in order.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import numpy.typing as npt

from backend.clients.instances import InstanceChooser, connect_first_free, speech_server_up
from backend.clients.speech_socket import (
    CONNECT_TIMEOUT_S,
    READY_TIMEOUT_S,
    SpeechStream,
    open_speech_socket,
)
from backend.speech_protocol import stt_messages
from backend.speech_protocol.audio_frames import pack_audio_frame
from backend.speech_protocol.constants import STT_STREAM_PATH
from backend.speech_protocol.stt_messages import EndWord as SttEndWord
from backend.speech_protocol.stt_messages import Marker as SttMarker
from backend.speech_protocol.stt_messages import Step as SttStep
from backend.speech_protocol.stt_messages import Word as SttWord

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
# Time to find a free STT node among all instances before telling the user.
OPEN_DEADLINE_S = 8.0

SttMessage = SttWord | SttEndWord | SttStep | SttMarker


class SttStream(SpeechStream[stt_messages.ServerMessage, SttMessage]):
    """An open STT stream (see `SpeechStream`)."""

    def _parse(self, message: stt_messages.ServerMessage) -> SttMessage | None:
        return message if isinstance(message, SttMessage) else None

    def send_audio(self, pcm: npt.NDArray[np.floating[Any]]) -> None:
        """Queue mono PCM in [-1, 1], any length (the server re-frames it)."""
        samples = np.asarray(pcm, dtype=np.float32)
        if samples.ndim != 1:
            raise ValueError(f"expected mono PCM (1-D), got shape {samples.shape}")
        if samples.size:
            self._socket.send_frame(pack_audio_frame(samples))

    def send_marker(self, marker_id: int) -> None:
        """Queue a marker; it comes back once all audio sent before it is processed."""
        self._socket.send(SttMarker(int(marker_id)))


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
            base_url + STT_STREAM_PATH,
            api_key=api_key,
            service=SERVICE,
            decoder=stt_messages.server_messages,
            connect_timeout_s=connect_timeout_s,
            ready_timeout_s=ready_timeout_s,
        )
        return SttStream(socket, instance=base_url)

    return await connect_first_free(
        spec, open_one, service=SERVICE, deadline_s=deadline_s, chooser=chooser
    )
