"""Client for moshi-server's `tts_streaming` protocol (protocols.md §3).

One stream per bot turn: words go in one at a time, then `Eos`; audio frames and the
time each word is spoken come out, faster than real time, until the server closes.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

import numpy as np
import numpy.typing as npt

from backend.clients.instances import InstanceChooser, connect_first_free
from backend.clients.speech_errors import SpeechStreamError
from backend.clients.speech_socket import (
    CONNECT_TIMEOUT_S,
    READY_TIMEOUT_S,
    SpeechStream,
    open_speech_socket,
)

SERVICE = "tts"
STREAM_PATH = "/api/tts_streaming"
# Raw float32 PCM in msgpack: no codec work on either side.
AUDIO_FORMAT = "PcmMessagePack"
# A bot turn waits for this; the user hears silence meanwhile, so keep it short.
OPEN_DEADLINE_S = 5.0


@dataclass(frozen=True)
class TtsAudio:
    """A frame of speech: float32 mono PCM in [-1, 1]."""

    pcm: npt.NDArray[np.float32]


@dataclass(frozen=True)
class TtsWordTiming:
    """When `text` is spoken, in seconds of this stream's audio."""

    text: str
    start_s: float
    stop_s: float


TtsMessage = TtsAudio | TtsWordTiming


def _parse(message: dict[str, Any]) -> TtsMessage | None:
    """The typed message, or None for an unknown type or the empty-text marker."""
    kind = message["type"]
    try:
        if kind == "Audio":
            return TtsAudio(pcm=np.asarray(message["pcm"], dtype=np.float32))
        if kind == "Text":
            text = str(message["text"])
            if not text:
                return None
            return TtsWordTiming(
                text=text, start_s=float(message["start_s"]), stop_s=float(message["stop_s"])
            )
    except (KeyError, TypeError, ValueError) as exc:
        raise SpeechStreamError(SERVICE, f"malformed {kind} message") from exc
    return None


def stream_url(base_url: str, voice: str | None) -> str:
    """The `tts_streaming` URL of one instance; `voice=None` leaves the voice out."""
    query = {"format": AUDIO_FORMAT}
    if voice is not None:
        query["voice"] = voice
    return f"{base_url}{STREAM_PATH}?{urlencode(query)}"


class TtsStream(SpeechStream[TtsMessage]):
    """An open TTS stream (see `SpeechStream`)."""

    def _parse(self, message: dict[str, Any]) -> TtsMessage | None:
        return _parse(message)

    def send_word(self, text: str) -> None:
        """Queue a word. Whitespace around it is dropped, a blank one is ignored, and
        several words are sent one by one (the server takes exactly one per message)."""
        for word in text.split():
            self._socket.send({"type": "Text", "text": word})

    def send_eos(self) -> None:
        """No more text: the server finishes the audio, then closes."""
        self._socket.send({"type": "Eos"})


async def open_tts_stream(
    spec: str,
    api_key: str,
    *,
    voice: str | None,
    voice_embedding: bytes | None,
    deadline_s: float = OPEN_DEADLINE_S,
    connect_timeout_s: float = CONNECT_TIMEOUT_S,
    ready_timeout_s: float = READY_TIMEOUT_S,
    chooser: InstanceChooser | None = None,
) -> TtsStream:
    """A ready TTS stream on the first instance of `spec` with a free slot.

    With `voice_embedding` (the msgpack `Voice` map from the voice cloning service) the
    voice query parameter is left out and the bytes are sent unchanged, first.
    `chooser` decides the order instances are tried in (see `connect_first_free`).
    Raises `ServiceUnavailable` when every instance is busy or down, and
    `SpeechAuthError` when the API key is refused.
    """
    query_voice = None if voice_embedding is not None else voice

    async def open_one(base_url: str) -> TtsStream:
        socket = await open_speech_socket(
            stream_url(base_url, query_voice),
            api_key=api_key,
            service=SERVICE,
            first_message=voice_embedding,
            connect_timeout_s=connect_timeout_s,
            ready_timeout_s=ready_timeout_s,
        )
        return TtsStream(socket, instance=base_url)

    return await connect_first_free(
        spec, open_one, service=SERVICE, deadline_s=deadline_s, chooser=chooser
    )
