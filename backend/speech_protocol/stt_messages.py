"""The messages of moshi-server's `asr-streaming` protocol (protocols.md §2).

Client → server: `Audio {pcm}` (any length; the server re-frames it) and `Marker {id}`.
Server → client: `Ready`, `Error {message}`, `Word {text, start_time}`,
`EndWord {stop_time}`, `Step {step_idx, prs, buffered_pcm}` and the echoed `Marker {id}`.
Times are seconds of the audio sent on this stream.
"""

from __future__ import annotations

from backend.speech_protocol.codec import Audio, Error, Message, MessageDecoder, Ready


class Word(Message, frozen=True):
    """A recognised word, starting `start_time` seconds into the stream's audio."""

    text: str
    start_time: float


class EndWord(Message, frozen=True):
    """The end of the last word."""

    stop_time: float


class Step(Message, frozen=True):
    """One processed 80 ms frame.

    `prs[i]` is the probability of no voice activity over the next `PAUSE_HORIZONS_S[i]`
    (see `pauses`); `buffered_pcm` is how many samples wait for the next frame.
    """

    step_idx: int
    prs: tuple[float, ...]
    buffered_pcm: int


class Marker(Message, frozen=True):
    """Sent by the client; echoed once all audio sent before it has been processed."""

    id: int


ClientMessage = Audio | Marker
ServerMessage = Ready | Error | Word | EndWord | Step | Marker

client_messages: MessageDecoder[ClientMessage] = MessageDecoder(Audio, Marker)
server_messages: MessageDecoder[ServerMessage] = MessageDecoder(
    Ready, Error, Word, EndWord, Step, Marker
)
