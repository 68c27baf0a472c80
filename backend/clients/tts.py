"""Client for moshi-server's `tts_streaming` protocol (protocols.md §3).

One stream per bot turn: words go in one at a time, then `Eos`; audio frames and the
time each word is spoken come out, faster than real time, until the server closes.
"""

from __future__ import annotations

from urllib.parse import urlencode

from backend.clients.instances import InstanceChooser, connect_first_free
from backend.clients.speech_socket import (
    CONNECT_TIMEOUT_S,
    READY_TIMEOUT_S,
    SpeechStream,
    open_speech_socket,
)
from backend.speech_protocol import tts_messages
from backend.speech_protocol.codec import Audio as TtsAudio
from backend.speech_protocol.constants import TTS_AUDIO_FORMAT, TTS_STREAM_PATH
from backend.speech_protocol.tts_messages import Eos, Text
from backend.speech_protocol.tts_messages import TextTiming as TtsWordTiming

__all__ = ["TtsAudio", "TtsMessage", "TtsStream", "TtsWordTiming", "open_tts_stream"]

SERVICE = "tts"
# A bot turn waits for this; the user hears silence meanwhile, so keep it short.
OPEN_DEADLINE_S = 5.0

TtsMessage = TtsAudio | TtsWordTiming


def stream_url(base_url: str, voice: str | None) -> str:
    """The `tts_streaming` URL of one instance; `voice=None` leaves the voice out."""
    query = {"format": TTS_AUDIO_FORMAT}
    if voice is not None:
        query["voice"] = voice
    return f"{base_url}{TTS_STREAM_PATH}?{urlencode(query)}"


class TtsStream(SpeechStream[tts_messages.ServerMessage, TtsMessage]):
    """An open TTS stream (see `SpeechStream`)."""

    def _parse(self, message: tts_messages.ServerMessage) -> TtsMessage | None:
        """Audio and word timings; the empty-text timing moshi-server may send is dropped."""
        if isinstance(message, TtsWordTiming):
            return message if message.text else None
        return message if isinstance(message, TtsAudio) else None

    def send_word(self, text: str) -> None:
        """Queue a word. Whitespace around it is dropped, a blank one is ignored, and
        several words are sent one by one (the server takes exactly one per message)."""
        for word in text.split():
            self._socket.send(Text(word))

    def send_eos(self) -> None:
        """No more text: the server finishes the audio, then closes."""
        self._socket.send(Eos())


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
            decoder=tts_messages.server_messages,
            first_message=voice_embedding,
            connect_timeout_s=connect_timeout_s,
            ready_timeout_s=ready_timeout_s,
        )
        return TtsStream(socket, instance=base_url)

    return await connect_first_free(
        spec, open_one, service=SERVICE, deadline_s=deadline_s, chooser=chooser
    )
