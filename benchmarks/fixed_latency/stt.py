"""An `asr-streaming` server that answers every frame after a fixed delay.

A frame is voiced when its RMS is above `VOICE_RMS`. The first voiced frame of an
utterance yields one word, the turn key `k<stream>t<utterance>`; after
`SILENT_FRAMES_FOR_PAUSE` silent frames the pause probabilities jump to 1. A burst of
zeros (the backend's flush) is stamped, with the step that preceded it and the step
that covers it. The backend sends whole frames and ends a flush on a frame boundary, so
a flush arrives in one message with the user's last part-frame before it: the run of
exact zeros that ends the message (the load tester's audio, its silence included, is
never exactly zero once through Opus).
"""

from __future__ import annotations

import itertools
import time
from collections.abc import Callable

import numpy as np
from websockets.asyncio.server import ServerConnection

from benchmarks.fixed_latency.common import (
    FRAME,
    KEY_PREFIX,
    SAMPLE_RATE,
    Latencies,
    TimedSender,
    Trace,
    decode,
    pack,
)

VOICE_RMS = 0.01  # speech frames are far above, digital silence far below
SILENT_FRAMES_FOR_PAUSE = 2  # 160 ms of silence before the pause probability rises
FLUSH_MIN_SAMPLES = 4 * FRAME  # real-time audio never arrives in one burst this big


class FixedLatencyStt:
    def __init__(self, latencies: Latencies, trace: Trace) -> None:
        self.latencies = latencies
        self.trace = trace
        self._streams = itertools.count(1)

    async def serve_stream(self, connection: ServerConnection) -> None:
        stream = next(self._streams)
        state = _StreamState(stream)
        sender = TimedSender(connection)
        await connection.send(pack({"type": "Ready"}))
        try:
            async for frame in connection:
                now = time.monotonic()
                message = decode(frame)
                if message.get("type") == "Audio":
                    self._take_audio(state, sender, np.asarray(message["pcm"], np.float32), now)
        finally:
            sender.task.cancel()

    def _take_audio(
        self, state: _StreamState, sender: TimedSender, pcm: np.ndarray, now: float
    ) -> None:
        flush = 0
        if pcm.size >= FLUSH_MIN_SAMPLES and state.key is not None:
            trailing = _trailing_zeros(pcm)
            if trailing >= FLUSH_MIN_SAMPLES:
                self.trace.stamp(state.key, "stt_flush_received", now)
                self.trace.stamp(state.key, "stt_step_before_flush_sent", state.last_step_sent_at)
                flush = trailing
                state.flush_end = state.received + pcm.size
        state.received += pcm.size
        if pcm.size > flush:
            state.heard += pcm.size - flush
            self.trace.arrivals[state.stream].append((state.heard, now))
        state.pending = np.concatenate([state.pending, pcm])
        due = now + self.latencies.stt_step_s
        while state.pending.size >= FRAME:
            chunk, state.pending = state.pending[:FRAME], state.pending[FRAME:]
            self._answer_frame(state, sender, chunk, due)

    def _answer_frame(
        self, state: _StreamState, sender: TimedSender, chunk: np.ndarray, due: float
    ) -> None:
        voiced = float(np.sqrt(np.mean(np.square(chunk)))) > VOICE_RMS
        if voiced and state.silent_frames >= SILENT_FRAMES_FOR_PAUSE:
            state.utterances += 1
            state.key = f"{KEY_PREFIX}{state.stream}t{state.utterances}"
            start_time = state.step * FRAME / SAMPLE_RATE
            sender.send_at(due, pack({"type": "Word", "text": state.key, "start_time": start_time}))
        state.silent_frames = 0 if voiced else state.silent_frames + 1
        pause = 1.0 if state.silent_frames >= SILENT_FRAMES_FOR_PAUSE else 0.0
        step = {"type": "Step", "step_idx": state.step, "prs": [pause] * 4, "buffered_pcm": 0}
        state.step += 1
        covers_flush = (
            state.flush_end is not None
            and state.key is not None
            and state.step * FRAME >= state.flush_end
        )
        flush_key = state.key if covers_flush else None
        if covers_flush:
            state.flush_end = None
        sender.send_at(due, pack(step), self._on_step_sent(state, flush_key))

    def _on_step_sent(self, state: _StreamState, flush_key: str | None) -> Callable[[float], None]:
        def note(at: float) -> None:
            state.last_step_sent_at = at
            if flush_key is not None:
                self.trace.stamp(flush_key, "stt_flush_step_sent", at)

        return note


class _StreamState:
    def __init__(self, stream: int) -> None:
        self.stream = stream
        self.pending = np.zeros(0, dtype=np.float32)
        self.received = 0  # all samples, flush zeros included: the stream clock
        self.heard = 0  # real-time audio only: the browser's stream position
        self.step = 0
        self.utterances = 0
        self.silent_frames = SILENT_FRAMES_FOR_PAUSE
        self.key: str | None = None
        self.flush_end: int | None = None
        self.last_step_sent_at = 0.0


def _trailing_zeros(pcm: np.ndarray) -> int:
    nonzero = np.flatnonzero(pcm)
    return int(pcm.size - (nonzero[-1] + 1)) if nonzero.size else int(pcm.size)
