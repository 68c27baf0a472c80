"""A scripted TTS server speaking moshi-server's `tts_streaming` protocol.

Each `Text` word becomes a tone of `word_duration_s`, sent as `Audio` messages of
exactly 1920 float32 samples, with a `Text {text, start_s, stop_s}` message saying when
the word is spoken. Like the real server it sends one empty-text message (before the
first word), works faster than real time, and after `Eos` sends the remaining audio and
closes.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import numpy.typing as npt
from websockets.asyncio.server import ServerConnection

from tests.doubles.ws_server import ScriptedSpeechServer, pack, query_of, unpack

SAMPLE_RATE = 24_000
FRAME_SAMPLES = 1920
TONE_AMPLITUDE = 0.3


def word_tone(index: int, duration_s: float) -> npt.NDArray[np.float32]:
    """A clearly non-silent tone, a different pitch per word."""
    times = np.arange(round(duration_s * SAMPLE_RATE)) / SAMPLE_RATE
    frequency = 220.0 + 40.0 * (index % 5)
    return (TONE_AMPLITUDE * np.sin(2 * np.pi * frequency * times)).astype(np.float32)


class TtsDouble(ScriptedSpeechServer):
    """`async with TtsDouble() as tts:` then connect to `tts.url`."""

    path = "/api/tts_streaming"

    def __init__(
        self,
        *,
        slots: int = 4,
        api_key: str | None = "public_token",
        word_duration_s: float = 0.25,
        first_audio_latency_s: float = 0.0,
        end_first_stream_after_words: int | None = None,
        after_ready: Sequence[Mapping[str, Any]] = (),
    ) -> None:
        super().__init__(slots=slots, api_key=api_key, after_ready=after_ready)
        self.word_duration_s = word_duration_s
        self.first_audio_latency_s = first_audio_latency_s
        # Close the first stream normally (no Eos yet) once it has spoken this many words,
        # as a server with its own limits or one that drains may.
        self.end_first_stream_after_words = end_first_stream_after_words
        # What clients sent, for the tests to assert on.
        self.voices: list[str | None] = []  # the `voice` query parameter of each stream
        self.formats: list[str | None] = []  # the `format` query parameter of each stream
        self.voice_messages: list[bytes] = []  # raw `Voice` messages, as received
        self.words_received: list[str] = []
        self.eos_received = 0
        self.audio_frames_sent = 0

    async def serve_stream(self, connection: ServerConnection) -> None:
        query = query_of(connection)
        self.voices.append(query.get("voice"))
        self.formats.append(query.get("format"))
        unsent = np.zeros(0, dtype=np.float32)
        words_in_stream = 0
        first_message = True
        audio_started = False
        async for frame in connection:
            message = unpack(frame)
            kind = message["type"]
            if kind == "Voice":
                if not first_message:
                    self.violation("Voice after other messages")
                assert isinstance(frame, bytes)
                self.voice_messages.append(frame)
            elif kind == "Text":
                text = message.get("text")
                if not isinstance(text, str) or not text or text != text.strip():
                    self.violation(f"Text must be one non-empty stripped word: {text!r}")
                    continue
                self.words_received.append(text)
                if words_in_stream == 0:
                    await connection.send(
                        pack({"type": "Text", "text": "", "start_s": 0.0, "stop_s": 0.0})
                    )
                start_s = words_in_stream * self.word_duration_s
                await connection.send(
                    pack(
                        {
                            "type": "Text",
                            "text": text,
                            "start_s": start_s,
                            "stop_s": start_s + self.word_duration_s,
                        }
                    )
                )
                unsent = np.concatenate([unsent, word_tone(words_in_stream, self.word_duration_s)])
                words_in_stream += 1
                if not audio_started and unsent.size >= FRAME_SAMPLES:
                    audio_started = True
                    # A client that gives up on the late audio ends the wait (and the
                    # stream) at once, so a test need not sit out the latency.
                    with contextlib.suppress(TimeoutError):
                        await asyncio.wait_for(connection.wait_closed(), self.first_audio_latency_s)
                unsent = await self._send_whole_frames(connection, unsent)
                if (
                    self.streams_opened == 1
                    and words_in_stream == self.end_first_stream_after_words
                ):
                    await connection.close()
                    return
            elif kind == "Eos":
                self.eos_received += 1
                padding = (-unsent.size) % FRAME_SAMPLES
                unsent = np.concatenate([unsent, np.zeros(padding, dtype=np.float32)])
                await self._send_whole_frames(connection, unsent)
                await connection.close()
                return
            else:
                self.violation(f"unexpected message type {kind!r}")
            first_message = False

    async def _send_whole_frames(
        self, connection: ServerConnection, samples: npt.NDArray[np.float32]
    ) -> npt.NDArray[np.float32]:
        """Send every full frame of `samples`; return the rest."""
        while samples.size >= FRAME_SAMPLES:
            frame, samples = samples[:FRAME_SAMPLES], samples[FRAME_SAMPLES:]
            await connection.send(pack({"type": "Audio", "pcm": frame.tolist()}))
            self.audio_frames_sent += 1
        return samples
