"""The conversation's STT stream, replaced when its node dies or stalls.

A conversation outlives any one STT node: when the stream breaks, or stops answering
while audio flows, another stream is opened (on another node if this one is gone) and
the conversation goes on; the user only loses the audio of the gap, about a second.
A stream the server closes normally (moshi-server drops one that got no audio for ~20 s)
says nothing against the node: the next stream opens when there is audio for it.
The policy (framing, step numbering across streams, stalls, when to give up) is the
pure `SttClock`'s; this adapter only moves data between it, the stream and the core.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable

import numpy as np
import numpy.typing as npt

from backend.clients.instances import InstanceChooser, InstanceOutcome
from backend.clients.speech_errors import SpeechServiceError
from backend.clients.speech_retry import open_with_retries
from backend.clients.stt import SttMessage, SttStep, SttStream, SttWord
from backend.companion_tasks import TaskOwner, run_with_companions
from backend.deadline import Deadline
from backend.log_context import conversation_logger
from backend.metrics import BackendMetrics
from backend.speech_protocol.constants import FRAME_SAMPLES
from backend.speech_protocol.pauses import turn_pause_probability
from backend.stt_clock import GiveUp, SttClock

__all__ = ["FRAME_SAMPLES", "STT_OPEN_WITHIN_S", "SttLink", "SttLost"]

logger = conversation_logger(__name__)

# The wait for recognition to start, or to come back after a failure: every node and
# retry is tried within it, then the user is told (at 3 x 8 s per open, it was ~25 s).
STT_OPEN_WITHIN_S = 8.0


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
        metrics: BackendMetrics,
        on_step: Callable[[int, float], None],
        on_word: Callable[[str, float], None],
        on_restart: Callable[[str], None],
        open_within_s: float = STT_OPEN_WITHIN_S,
        clock: SttClock | None = None,
    ) -> None:
        self._open_stream = open_stream
        self._nodes = nodes
        self._metrics = metrics
        self._on_step = on_step
        self._on_word = on_word
        self._on_restart = on_restart
        self._open_within_s = open_within_s
        self._clock = clock or SttClock()
        self._stream: SttStream | None = None
        self._closing = TaskOwner()  # streams being closed in the background
        self._audio_waiting = asyncio.Event()  # audio arrived while there was no stream
        self.first_step_after_s: float | None = None

    async def open(self) -> None:
        """Open the first stream, retrying briefly: a slot frees up as soon as another
        conversation's stream closes. Raises `SpeechServiceError` if none can be had."""
        await self._open()

    def send_audio(self, pcm: npt.NDArray[np.float32]) -> None:
        frames = self._clock.take_audio(pcm, time.monotonic())
        if self._clock.audio_waiting:
            self._audio_waiting.set()
        if frames is None or self._stream is None:
            return
        try:
            self._stream.send_audio(frames)
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
                await self._replace(stream, str(error))
                continue
            except _Stalled:
                stall = f"no answer for {self._clock.stall_after_s:g} s while audio flowed"
                await self._replace(stream, stall)
                continue
            if self._stream is not stream:  # closed by `send_audio`: the node stopped reading
                await self._replace(stream, "the server stopped reading our audio")
                continue
            logger.info("the STT server ended the stream; the next audio opens another")
            self._nodes.record(stream.instance, InstanceOutcome.ENDED)
            self._drop()
            self._audio_waiting.clear()
            await self._audio_waiting.wait()
            await self._open_again(after_failure=False)

    async def aclose(self) -> None:
        if self._stream is not None:
            await self._stream.aclose()
            self._stream = None
        await self._closing.wait()

    async def _serve(self, stream: SttStream) -> None:
        """Receive until the server ends the stream; raise if it breaks or stalls."""
        await run_with_companions(self._receive(stream), self._watch())

    async def _receive(self, stream: SttStream) -> None:
        # A step comes every 80 ms: each is handled in the loop turn that read it.
        await stream.deliver(self._take)

    def _take(self, message: SttMessage) -> None:
        answer = self._clock.answered(time.monotonic())
        if isinstance(message, SttStep):
            if self.first_step_after_s is None:
                self.first_step_after_s = answer.opened_s
                self._metrics.stt_first_step.observe(answer.opened_s)
            pause = turn_pause_probability(message.prs)
            self._on_step(self._clock.conversation_step(message.step_idx), pause)
        elif isinstance(message, SttWord):
            self._on_word(message.text, message.start_time)

    async def _watch(self) -> None:
        """Raise `_Stalled` when the clock says the stream is stuck. It wakes only when a
        stall could first be due (about once a `stall_after_s` while answers flow), not
        on every frame or answer."""
        while True:
            now = time.monotonic()
            if self._clock.stalled(now):
                raise _Stalled
            await asyncio.sleep(self._clock.stall_check_at(now) - now)

    async def _replace(self, stream: SttStream, reason: str) -> None:
        """The stream broke or stalled: open another, or give up as the clock says."""
        self._metrics.errors.labels("stt_stream").inc()
        logger.warning("STT stream lost (%s); opening another", reason)
        self._nodes.record(stream.instance, InstanceOutcome.DOWN)
        self._drop()
        await self._reopen()

    async def _reopen(self) -> None:
        decision = self._clock.stream_failed()
        if isinstance(decision, GiveUp):
            raise SttLost(decision.reason)
        if decision.delay_s:
            await asyncio.sleep(decision.delay_s)
        await self._open_again(after_failure=True)

    def _drop(self) -> None:
        stream, self._stream = self._stream, None
        self._clock.stream_ended()
        if stream is not None:
            self._closing.spawn(stream.aclose(), name="stt-close")

    async def _open(self) -> None:
        """A new stream within the open deadline; raises `SpeechServiceError` if none."""
        asked_at = time.monotonic()
        deadline = Deadline.after(self._open_within_s, asked_at)
        self._stream = await open_with_retries(self._open_stream, deadline)
        self._clock.stream_opened(asked_at, time.monotonic())

    async def _open_again(self, *, after_failure: bool) -> None:
        asked_at = time.monotonic()
        try:
            await self._open()
        except SpeechServiceError as error:
            raise SttLost(str(error)) from error
        if after_failure:  # the user lost some audio: say so
            self._on_restart(f"recognition resumed after {time.monotonic() - asked_at:.1f} s")
