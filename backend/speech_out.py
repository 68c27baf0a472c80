"""A reply's words → TTS → audio and word timings into the playback pacer.

A TTS node may fail in the middle of a reply. The words it had not yet spoken (those
without a word timing) are then sent to another node, and its audio continues where the
first one stopped, so the user hears the rest of the reply. After a few failures the
reply ends cleanly with what was already spoken. A node that closes the stream normally
before it was told the text is complete (a server's own idle limit, a draining node) is
healthy: the rest goes to another stream all the same, but the node is not marked down.
Those rules are the pure `TtsFailover`'s; this adapter only moves data.

A session's replies share one TTS slot (`slot`): a reply opens its stream only once the
reply it replaced has closed its own, so a storm of barge-ins never holds two GPU slots.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable

from backend.clients.instances import InstanceChooser, InstanceOutcome
from backend.clients.speech_errors import SpeechServiceError, SpeechStreamError
from backend.clients.speech_retry import open_with_retries
from backend.clients.tts import TtsAudio, TtsMessage, TtsStream, open_tts_stream
from backend.companion_tasks import run_with_companions
from backend.deadline import Deadline
from backend.log_context import conversation_logger
from backend.metrics import BackendMetrics
from backend.playback import PlaybackPacer
from backend.tts_failover import MAX_STREAMS_PER_REPLY, STALL_AFTER_S, TtsFailover

__all__ = ["MAX_STREAMS_PER_REPLY", "STALL_AFTER_S", "SpeechOut", "TtsEndedEarly", "TtsStalled"]

logger = conversation_logger(__name__)

# One stream's open, retries and all nodes included (it was up to 3 x 5 s); before the
# first audio the reply's own deadline cuts it shorter.
OPEN_WITHIN_S = 5.0


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
        metrics: BackendMetrics,
        api_key: str,
        voice: str,
        voice_embedding: bytes | None,
        pacer: PlaybackPacer,
        wake: Callable[[], None],
        slot: asyncio.Lock | None = None,
        first_audio_by: Deadline | None = None,
    ) -> None:
        self._spec = spec
        self._nodes = nodes
        self._metrics = metrics
        self._api_key = api_key
        self._voice = None if voice_embedding else voice
        self._voice_embedding = voice_embedding
        self._pacer = pacer
        self._wake = wake
        self._slot = slot or asyncio.Lock()
        self._first_audio_by = first_audio_by
        self._failover = TtsFailover()
        self._changed = asyncio.Event()

    def speak(self, word: str) -> None:
        self._failover.speak(word, time.monotonic())
        self._changed.set()

    def end(self) -> None:
        self._failover.end()
        self._changed.set()

    async def run(self) -> str | None:
        """Speak every word; None when done, else why the reply had to end early."""
        async with self._slot:  # released only once our last stream is closed
            failure = await self._run()
        self._pacer.end_of_audio()
        self._wake()
        return failure

    async def _run(self) -> str | None:
        failure = "no TTS stream"
        while self._failover.may_open_stream():
            try:
                stream = await self._open()
            except SpeechServiceError as error:
                return str(error)
            try:
                await self._speak_on(stream)
                return None
            except TtsEndedEarly as ended:
                failure = str(ended)
                left = self._failover.words_left
                logger.info("TTS stream ended early, %d word(s) left: %s", left, ended)
                self._nodes.record(stream.instance, InstanceOutcome.ENDED)
            except SpeechServiceError as error:
                failure = str(error)
                self._metrics.errors.labels("tts_stream").inc()
                left = self._failover.words_left
                logger.warning("TTS stream failed, %d word(s) left: %s", left, error)
                self._nodes.record(stream.instance, InstanceOutcome.DOWN)
            finally:
                await _close_even_if_cancelled(stream)
        return failure

    async def _open(self) -> TtsStream:
        deadline = Deadline.after(OPEN_WITHIN_S, time.monotonic())
        if self._failover.first_audio_after_s is None and self._first_audio_by is not None:
            deadline = self._first_audio_by.sooner(deadline)
        stream = await open_with_retries(
            lambda: open_tts_stream(
                self._spec,
                self._api_key,
                voice=self._voice,
                voice_embedding=self._voice_embedding,
                chooser=self._nodes,
            ),
            deadline,
        )
        self._failover.stream_opened(time.monotonic())
        return stream

    async def _speak_on(self, stream: TtsStream) -> None:
        await run_with_companions(self._receive(stream), self._send(stream), self._watch())

    async def _send(self, stream: TtsStream) -> None:
        while True:
            outgoing = self._failover.outgoing(time.monotonic())
            for word in outgoing.words:
                stream.send_word(word)
            if outgoing.eos:
                stream.send_eos()
                return
            self._changed.clear()
            await self._changed.wait()

    async def _watch(self) -> None:
        """Raise `TtsStalled` when the failover rules say the node is stuck. It wakes only
        when a stall could first be due, not on every word or audio message."""
        while True:
            now = time.monotonic()
            if self._failover.stalled(now):
                stall_after_s = self._failover.stall_after_s
                raise TtsStalled(f"the TTS server stopped answering for {stall_after_s:g} s")
            await asyncio.sleep(self._failover.stall_check_at(now) - now)

    async def _receive(self, stream: TtsStream) -> None:
        # Each message is handled in the loop turn that read it, with no task wake-up.
        await stream.deliver(self._take)
        if self._failover.ended_early():
            raise TtsEndedEarly("tts", "the server closed the stream before the end of the text")

    def _take(self, message: TtsMessage) -> None:
        now = time.monotonic()
        if isinstance(message, TtsAudio):
            first = self._failover.first_audio_after_s is None
            self._failover.audio(message.pcm.size, now)
            if first and self._failover.first_audio_after_s is not None:
                self._metrics.tts_first_audio.observe(self._failover.first_audio_after_s)
            wake = self._pacer.add_audio(message.pcm)
        else:
            word = self._failover.word_timing(message.text, message.start_s, message.stop_s, now)
            wake = self._pacer.add_word(word.text, word.start_s, word.stop_s)
        if wake:  # else the player's own wake-up comes first (see `PlaybackPacer`)
            self._wake()


async def _close_even_if_cancelled(stream: TtsStream) -> None:
    """Close `stream`, and only then let a cancellation through: the slot is the server's
    until it has seen the close, and the next reply waits for it (the close is bounded)."""
    closing = asyncio.ensure_future(stream.aclose())
    cancelled = False
    while not closing.done():
        try:
            await asyncio.shield(closing)
        except asyncio.CancelledError:
            cancelled = True
    if cancelled:
        raise asyncio.CancelledError
