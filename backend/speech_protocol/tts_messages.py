"""The messages of moshi-server's `tts_streaming` protocol (protocols.md §3).

Client → server: `Voice {embeddings, shape}` (a cloned voice, first), `Text {text}` (one
word per message) and `Eos`. Server → client: `Ready`, `Error {message}`, `Audio {pcm}`
(1920 samples) and `Text {text, start_s, stop_s}`: when a word is spoken, in seconds of
the stream's audio (one with empty text may appear; skip it).
"""

from __future__ import annotations

from typing import Any

from backend.speech_protocol.codec import Audio, Error, Message, MessageDecoder, Ready


class Text(Message, frozen=True):
    """One word to speak, without surrounding whitespace."""

    text: str


class Voice(Message, frozen=True):
    """A cloned voice from the voice cloning service; the server's voice reader checks
    `embeddings` and `shape`, the client passes the service's bytes on unchanged."""

    embeddings: Any = None
    shape: Any = None


class Eos(Message, frozen=True):
    """No more text: the server finishes the audio, then closes."""


class TextTiming(Message, frozen=True, tag="Text"):
    """When `text` is spoken, in seconds of this stream's audio."""

    text: str
    start_s: float
    stop_s: float


ClientMessage = Text | Voice | Eos
ServerMessage = Ready | Error | Audio | TextTiming

client_messages: MessageDecoder[ClientMessage] = MessageDecoder(Text, Voice, Eos)
server_messages: MessageDecoder[ServerMessage] = MessageDecoder(Ready, Error, Audio, TextTiming)
