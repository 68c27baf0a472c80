"""One asr-streaming session: audio and markers in; steps, words and markers out.

Every 80 ms frame is analysed in the event loop as soon as it arrives: voice activity,
pause probabilities and its `Step` go out at once, and the frame is queued for the
stream's recogniser process. Words and echoed markers follow whenever the recogniser
answers. A single sender task writes everything to the socket, in the order queued.

The stream owns its tasks (`run_with_companions`): the sender runs until the end of the
stream is sent, with the receiver beside it; a client leaving ends both, and cancelling
`run` cancels both and is never lost to a task's own error.
"""

from __future__ import annotations

import asyncio
import enum
import time
from collections import deque
from collections.abc import Awaitable, Callable, Sequence

import numpy as np
import numpy.typing as npt

from backend.companion_tasks import run_with_companions
from backend.speech_protocol.codec import Error, Message, ProtocolError, encode
from backend.speech_protocol.constants import FRAME_S
from backend.speech_protocol.pauses import undecided
from backend.speech_protocol.stt_messages import EndWord, Marker, Step, Word
from embedded.frame_connection import ClientLeft
from embedded.stt import protocol
from embedded.stt.engines import FrameAnalyser
from embedded.stt.framing import FrameAssembler
from embedded.stt.metrics import SttMetrics
from embedded.stt.pause_prediction import PausePredictor
from embedded.stt.voice_activity import VoiceActivityDetector
from embedded.stt.word_commit import TimedWord
from embedded.stt.worker_pool import (
    MarkerReached,
    Processed,
    RecognizerWorker,
    WorkerEvent,
    WorkerLost,
)

IDLE_TIMEOUT_S = 20.0  # moshi-server drops a stream that sent nothing for 20 s
# Stop reading the client while this much audio waits for the recogniser (a client
# sending faster than real time on a busy host), so memory stays bounded.
MAX_RECOGNITION_BACKLOG_S = 30.0
MAX_UNSENT_MESSAGES = 2000  # likewise for a client that does not read what we send
_YIELD_EVERY_FRAMES = 25  # a long Audio message must not hold up the other streams
_ARRIVALS_KEPT_S = 120.0  # word latency is measured for words up to this old

Receive = Callable[[], Awaitable[bytes | str | None]]  # None once the client has left
Send = Callable[[bytes], Awaitable[None]]  # raises ClientLeft once the client has left


class StreamEnd(enum.Enum):
    CLIENT_LEFT = "client left"
    IDLE = "idle for too long"
    RECOGNIZER_FAILED = "recognizer failed"


class SttStream:
    def __init__(
        self,
        *,
        worker: RecognizerWorker,
        send: Send,
        metrics: SttMetrics,
        idle_timeout_s: float = IDLE_TIMEOUT_S,
        voice_activity: FrameAnalyser | None = None,
    ) -> None:
        self._worker = worker
        self._send_frame = send
        self._metrics = metrics
        self._idle_timeout_s = idle_timeout_s
        self._outbox: asyncio.Queue[bytes | StreamEnd] = asyncio.Queue()
        self._progress = asyncio.Event()  # something was sent or recognised
        self._assembler = FrameAssembler()
        self._vad = voice_activity or VoiceActivityDetector()
        self._pauses = PausePredictor()
        self._frames_received = 0
        self._markers_pending = 0  # sent to the recogniser, not echoed yet
        self._frames_processed = 0
        self._recognizer_idle = True
        self._last_voiced_frame = -1
        self._arrivals: deque[float] = deque(maxlen=round(_ARRIVALS_KEPT_S / FRAME_S))
        self._compute_s = 0.0
        self.end = StreamEnd.CLIENT_LEFT

    async def run(self, receive: Receive) -> StreamEnd:
        """Serve the stream until the client leaves, goes idle, or the recogniser fails."""
        self._worker.begin(self._on_worker_event)
        try:
            await run_with_companions(self._send_loop(), self._receive_loop(receive))
        except ClientLeft:
            self.end = StreamEnd.CLIENT_LEFT
        finally:
            self._record_real_time_factor()
        return self.end

    async def _receive_loop(self, receive: Receive) -> None:
        while True:
            try:
                async with asyncio.timeout(self._idle_timeout_s):
                    frame = await receive()
            except TimeoutError:
                if self._frames_processed < self._frames_received or self._markers_pending:
                    continue  # the client is waiting for its backlog: that is not idleness
                self._finish(StreamEnd.IDLE)
                return
            if frame is None:
                raise ClientLeft
            try:
                message = protocol.parse_client_frame(frame)
            except ProtocolError as invalid:
                self._metrics.malformed_frames.inc()
                self._queue(Error(str(invalid)))
                continue
            if isinstance(message, Marker):
                self._markers_pending += 1
                self._worker.send_marker(message.id)
            else:
                await self._take_audio(message.pcm)
            await self._wait_for_capacity()

    async def _take_audio(self, pcm: npt.NDArray[np.float32]) -> None:
        frames = self._assembler.push(pcm)
        for index, frame in enumerate(frames):
            frames_after = len(frames) - index - 1
            self._take_frame(frame, self._assembler.buffered + frames_after * len(frame))
            if index % _YIELD_EVERY_FRAMES == _YIELD_EVERY_FRAMES - 1:
                await asyncio.sleep(0)

    def _take_frame(self, frame: npt.NDArray[np.float32], buffered_pcm: int) -> None:
        analysed = self._vad.analyse(frame)
        prs: Sequence[float] = self._pauses.update(analysed.voiced)
        if any(analysed.voiced):
            self._last_voiced_frame = self._frames_received
        if not self._words_settled():
            # The recogniser may still owe words for earlier audio: announcing a pause
            # now would end the user's turn without its last words.
            prs = undecided(prs)
        self._queue(Step(self._frames_received, tuple(prs), buffered_pcm))
        self._worker.send_audio(analysed.pcm16k, analysed.voiced)
        self._arrivals.append(time.monotonic())
        self._frames_received += 1

    def _words_settled(self) -> bool:
        """True when every word of the audio received so far has been sent.

        That is the case when the recogniser had no utterance open after the last frame
        it processed, and no voice has been heard since (which would open one).
        """
        return self._recognizer_idle and self._last_voiced_frame < self._frames_processed

    async def _wait_for_capacity(self) -> None:
        backlog_limit = round(MAX_RECOGNITION_BACKLOG_S / FRAME_S)
        while (
            self._frames_received - self._frames_processed > backlog_limit
            or self._outbox.qsize() > MAX_UNSENT_MESSAGES
        ):
            self._progress.clear()
            await self._progress.wait()

    def _on_worker_event(self, event: WorkerEvent) -> None:
        if isinstance(event, WorkerLost):
            self._queue(Error(StreamEnd.RECOGNIZER_FAILED.value))
            self._finish(StreamEnd.RECOGNIZER_FAILED)
            return
        self._frames_processed = event.frames
        self._send_words(event.words)
        if isinstance(event, MarkerReached):
            self._markers_pending -= 1
            self._recognizer_idle = True
            self._queue(Marker(event.marker_id))
        elif isinstance(event, Processed):
            self._recognizer_idle = event.idle
            self._compute_s += event.compute_s
            self._metrics.audio_seconds.inc(FRAME_S)
            self._metrics.recognition_seconds.inc(event.compute_s)
        self._progress.set()

    def _send_words(self, words: Sequence[TimedWord]) -> None:
        now = time.monotonic()
        for word in words:
            self._queue(Word(word.text, word.start_s))
            self._queue(EndWord(word.stop_s))
            arrival = self._arrival_of_frame(int(word.stop_s / FRAME_S))
            if arrival is not None:
                self._metrics.word_latency.observe(now - arrival)

    def _arrival_of_frame(self, frame_index: int) -> float | None:
        oldest_kept = self._frames_received - len(self._arrivals)
        index = min(frame_index, self._frames_received - 1) - oldest_kept
        return self._arrivals[index] if 0 <= index < len(self._arrivals) else None

    def _queue(self, message: Message) -> None:
        self._outbox.put_nowait(encode(message))

    def _finish(self, end: StreamEnd) -> None:
        self.end = end
        self._outbox.put_nowait(end)

    async def _send_loop(self) -> None:
        """Send what is queued until the end of the stream, and everything before it."""
        while True:
            item = await self._outbox.get()
            if isinstance(item, StreamEnd):
                return
            await self._send_frame(item)
            self._progress.set()

    def _record_real_time_factor(self) -> None:
        audio_s = self._frames_processed * FRAME_S
        if audio_s >= 1.0:  # shorter streams say more about start-up than about speed
            self._metrics.real_time_factor.observe(self._compute_s / audio_s)
