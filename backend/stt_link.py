"""The conversation's STT stream, replaced when its node dies or stalls.

A conversation outlives any one STT node: when the stream breaks, or stops answering
while audio flows, another stream is opened (on another node if this one is gone) and
the conversation goes on; the user only loses the audio of the gap, about a second.
A stream the server closes normally (moshi-server drops one that got no audio for ~20 s)
says nothing against the node: the next stream opens when there is audio for it.
Steps of every stream are numbered on one clock (samples sent since the start of the
conversation), so the core's flush arithmetic holds across a switch.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable

import numpy as np
import numpy.typing as npt

from backend import metrics
from backend.clients.instances import InstanceChooser, InstanceOutcome
from backend.clients.speech_errors import SpeechServiceError
from backend.clients.speech_retry import open_with_retries
from backend.clients.stt import SttStep, SttStream, SttWord
from backend.companion_tasks import run_with_companions
from backend.log_context import conversation_logger

logger = conversation_logger(__name__)

FRAME_SAMPLES = 1920
SAMPLE_RATE = 24_000
STALL_AFTER_S = 1.0  # a live STT answers every 80 ms; a second of silence means it is stuck
# Streams that break before their first answer, one after another, mean that recognition
# is unavailable, not that a node had a hiccup: after this many the conversation is told
# so, instead of reopening streams (and warning the user) in a tight loop.
MAX_SILENT_FAILURES = 3
SILENT_FAILURE_BACKOFF_S = 0.2  # doubled after each such failure


class _Stalled(Exception):
    pass


class SttLost(Exception):
    """No STT stream could be (re)opened: the conversation cannot hear the user."""


class SttLink:
    def __init__(
        self,
        open_stream: Callable[[], Awaitable[SttStream]],
        *,
        nodes: InstanceChooser,
        on_step: Callable[[int, float], None],
        on_word: Callable[[str, float], None],
        on_restart: Callable[[str], None],
    ) -> None:
        self._open_stream = open_stream
        self._nodes = nodes
        self._on_step = on_step
        self._on_word = on_word
        self._on_restart = on_restart
        self._stream: SttStream | None = None
        self._samples_sent = 0  # over every stream, gaps included
        # Audio short of a whole frame waits here: the STT cannot use part of a frame,
        # and whole frames mean a quarter of the messages for 20 ms browser pages.
        self._unsent: list[npt.NDArray[np.float32]] = []
        self._unsent_samples = 0
        self._stream_origin = 0  # where the current stream's step 0 lies on that clock
        self._last_answer_at = 0.0
        self._samples_transmitted = 0  # what left for a stream, whole frames only
        self._answered_samples = 0  # samples transmitted when the stream last answered
        self.first_step_after_s: float | None = None
        self._opened_at = 0.0
        self._stream_answered = False
        self._silent_failures = 0  # streams in a row that broke before answering
        self._audio_waiting = asyncio.Event()  # audio arrived while there was no stream

    async def open(self) -> None:
        """Open the first stream, retrying briefly: a slot frees up as soon as another
        conversation's stream closes. Raises `SpeechServiceError` if none can be had."""
        started = time.monotonic()
        self._stream = await open_with_retries(self._open_stream)
        self._began(started)

    def send_audio(self, pcm: npt.NDArray[np.float32]) -> None:
        self._samples_sent += int(pcm.size)
        if self._stream is None:
            self._audio_waiting.set()
            return  # between two streams: this audio is lost
        self._unsent.append(pcm)
        self._unsent_samples += int(pcm.size)
        if self._unsent_samples < FRAME_SAMPLES:
            return
        pending = np.concatenate(self._unsent) if len(self._unsent) > 1 else self._unsent[0]
        whole = self._unsent_samples - self._unsent_samples % FRAME_SAMPLES
        rest = pending[whole:]
        self._unsent = [rest] if rest.size else []
        self._unsent_samples = int(rest.size)
        self._samples_transmitted += whole
        try:
            self._stream.send_audio(pending[:whole])
        except SpeechServiceError as error:  # the node stopped reading: replace it
            logger.warning("STT send failed: %s", error)
            self._drop()

    def send_silence(self, samples: int) -> None:
        self.send_audio(np.zeros(samples, dtype=np.float32))

    async def run(self) -> None:
        """Feed STT messages to the callbacks for as long as the conversation lasts."""
        while True:
            stream = self._stream
            if stream is None:
                await self._reopen()
                continue
            try:
                await self._serve(stream)
            except SpeechServiceError as error:
                self._lost(stream, str(error))
                await self._reopen()
                continue
            except _Stalled:
                self._lost(stream, f"no answer for {STALL_AFTER_S:g} s while audio flowed")
                await self._reopen()
                continue
            if self._stream is not stream:  # closed by `send_audio`: the node stopped reading
                self._lost(stream, "the server stopped reading our audio")
                await self._reopen()
                continue
            logger.info("the STT server ended the stream; the next audio opens another")
            self._nodes.record(stream.instance, InstanceOutcome.ENDED)
            self._drop()
            self._audio_waiting.clear()
            await self._audio_waiting.wait()
            await self._reopen(after_failure=False)

    async def aclose(self) -> None:
        if self._stream is not None:
            await self._stream.aclose()
            self._stream = None

    async def _serve(self, stream: SttStream) -> None:
        """Receive until the server ends the stream; raise if it breaks or stalls."""
        await run_with_companions(self._receive(stream), self._watch())

    async def _receive(self, stream: SttStream) -> None:
        async for message in stream:
            self._stream_answered, self._silent_failures = True, 0
            self._last_answer_at = time.monotonic()
            self._answered_samples = self._samples_transmitted
            if isinstance(message, SttStep):
                if self.first_step_after_s is None:
                    self.first_step_after_s = self._last_answer_at - self._opened_at
                    metrics.STT_FIRST_STEP.observe(self.first_step_after_s)
                step = self._stream_origin // FRAME_SAMPLES + message.step_idx
                pause = message.prs[2] if len(message.prs) > 2 else 0.0
                self._on_step(step, pause)
            elif isinstance(message, SttWord):
                self._on_word(message.text, message.start_time)

    async def _watch(self) -> None:
        """Raise `_Stalled` when audio is owed an answer and none came for STALL_AFTER_S."""
        while True:
            await asyncio.sleep(STALL_AFTER_S / 4)
            owed = self._samples_transmitted - self._answered_samples >= FRAME_SAMPLES
            if owed and time.monotonic() - self._last_answer_at > STALL_AFTER_S:
                raise _Stalled

    def _lost(self, stream: SttStream, reason: str) -> None:
        metrics.ERRORS.labels("stt_stream").inc()
        logger.warning("STT stream lost (%s); opening another", reason)
        self._nodes.record(stream.instance, InstanceOutcome.DOWN)
        self._drop()
        if not self._stream_answered:
            self._silent_failures += 1

    def _drop(self) -> None:
        stream, self._stream = self._stream, None
        self._unsent, self._unsent_samples = [], 0  # lost with the stream, like the gap
        if stream is not None:
            asyncio.get_running_loop().create_task(stream.aclose())

    async def _reopen(self, *, after_failure: bool = True) -> None:
        started = time.monotonic()
        if self._silent_failures >= MAX_SILENT_FAILURES:
            raise SttLost(f"{self._silent_failures} streams in a row broke before answering")
        if self._silent_failures:
            await asyncio.sleep(SILENT_FAILURE_BACKOFF_S * 2 ** (self._silent_failures - 1))
        try:
            self._stream = await open_with_retries(self._open_stream)
        except SpeechServiceError as error:
            raise SttLost(str(error)) from error
        self._began(started)
        if after_failure:  # the user lost some audio: say so
            self._on_restart(f"recognition resumed after {time.monotonic() - started:.1f} s")

    def _began(self, started: float) -> None:
        self._opened_at = started
        self._stream_answered = False
        self._stream_origin = self._samples_sent
        self._last_answer_at = time.monotonic()
        self._answered_samples = self._samples_transmitted
