"""A reply's words → TTS → audio and word timings into the playback pacer.

A TTS node may fail in the middle of a reply. The words it had not yet spoken (those
without a word timing) are then sent to another node, and its audio continues where the
first one stopped, so the user hears the rest of the reply. After a few failures the
reply ends cleanly with what was already spoken. A node that closes the stream normally
before it was told the text is complete (a server's own idle limit, a draining node) is
healthy: the rest goes to another stream all the same, but the node is not marked down.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable

from backend import metrics
from backend.clients.instances import InstanceChooser, InstanceOutcome
from backend.clients.speech_errors import SpeechServiceError, SpeechStreamError
from backend.clients.speech_retry import open_with_retries
from backend.clients.tts import TtsAudio, TtsStream, TtsWordTiming, open_tts_stream
from backend.companion_tasks import run_with_companions
from backend.log_context import conversation_logger
from backend.playback import PlaybackPacer

logger = conversation_logger(__name__)

SAMPLE_RATE = 24_000
STALL_AFTER_S = 2.0  # words or Eos owed an answer and none for this long: the node is stuck
MAX_STREAMS_PER_REPLY = 3  # the first node and two replacements, then the turn ends


class TtsStalled(SpeechServiceError):
    pass


class TtsEndedEarly(SpeechStreamError):
    """The server closed the stream normally before `Eos`: words may be left unspoken."""


class SpeechOut:
    def __init__(
        self,
        *,
        spec: str,
        nodes: InstanceChooser,
        api_key: str,
        voice: str,
        voice_embedding: bytes | None,
        pacer: PlaybackPacer,
        wake: Callable[[], None],
    ) -> None:
        self._spec = spec
        self._nodes = nodes
        self._api_key = api_key
        self._voice = None if voice_embedding else voice
        self._voice_embedding = voice_embedding
        self._pacer = pacer
        self._wake = wake
        self._words: list[str] = []
        self._ended = False
        self._changed = asyncio.Event()
        self._timed = 0  # words whose timing arrived: spoken by some node
        self._audio_samples = 0  # audio handed to the pacer, over every stream
        self._first_word_at: float | None = None
        self._last_answer_at = 0.0
        self._sent = 0  # words sent on the current stream's count (from `_timed` on)
        self._eos_sent = False
        self._first_audio_seen = False

    def speak(self, word: str) -> None:
        if self._first_word_at is None:
            self._first_word_at = time.monotonic()
        self._words.append(word)
        self._changed.set()

    def end(self) -> None:
        self._ended = True
        self._changed.set()

    async def run(self) -> str | None:
        """Speak every word; None when done, else why the reply had to end early."""
        failure = "no TTS stream"
        for _ in range(MAX_STREAMS_PER_REPLY):
            try:
                stream = await self._open()
            except SpeechServiceError as error:
                failure = str(error)
                break
            try:
                await self._speak_on(stream)
                self._finish()
                return None
            except TtsEndedEarly as ended:
                failure = str(ended)
                logger.info("TTS stream ended early, %d word(s) left: %s", self._left(), ended)
                self._nodes.record(stream.instance, InstanceOutcome.ENDED)
            except SpeechServiceError as error:
                failure = str(error)
                metrics.ERRORS.labels("tts_stream").inc()
                logger.warning("TTS stream failed, %d word(s) left: %s", self._left(), error)
                self._nodes.record(stream.instance, InstanceOutcome.DOWN)
            finally:
                await stream.aclose()
        self._finish()
        return failure

    def _left(self) -> int:
        return len(self._words) - self._timed

    async def _open(self) -> TtsStream:
        return await open_with_retries(
            lambda: open_tts_stream(
                self._spec,
                self._api_key,
                voice=self._voice,
                voice_embedding=self._voice_embedding,
                chooser=self._nodes,
            )
        )

    async def _speak_on(self, stream: TtsStream) -> None:
        offset_s = self._audio_samples / SAMPLE_RATE
        self._last_answer_at = time.monotonic()
        self._sent = self._timed
        self._eos_sent = False
        await run_with_companions(
            self._receive(stream, offset_s), self._send(stream, first=self._timed), self._watch()
        )

    async def _send(self, stream: TtsStream, first: int) -> None:
        sent = first
        while True:
            while sent < len(self._words):
                stream.send_word(self._words[sent])
                sent += 1
                self._sent = sent
            if self._ended:
                stream.send_eos()
                self._eos_sent = True
                return
            self._changed.clear()
            await self._changed.wait()

    async def _watch(self) -> None:
        """Raise `TtsStalled` when the node owes us audio and has said nothing for a while."""
        while True:
            await asyncio.sleep(STALL_AFTER_S / 4)
            owed = self._eos_sent or self._sent > self._timed
            if owed and time.monotonic() - self._last_answer_at > STALL_AFTER_S:
                raise TtsStalled(f"the TTS server stopped answering for {STALL_AFTER_S:g} s")

    async def _receive(self, stream: TtsStream, offset_s: float) -> None:
        async for message in stream:
            self._last_answer_at = time.monotonic()
            if isinstance(message, TtsAudio):
                if not self._first_audio_seen and self._first_word_at is not None:
                    metrics.TTS_FIRST_AUDIO.observe(time.monotonic() - self._first_word_at)
                self._first_audio_seen = True
                self._audio_samples += message.pcm.size
                self._pacer.add_audio(message.pcm)
            elif isinstance(message, TtsWordTiming):
                self._timed += 1
                self._pacer.add_word(
                    message.text, message.start_s + offset_s, message.stop_s + offset_s
                )
            self._wake()
        if not self._eos_sent:
            raise TtsEndedEarly("tts", "the server closed the stream before the end of the text")

    def _finish(self) -> None:
        self._pacer.end_of_audio()
        self._wake()
