"""A scripted STT server speaking moshi-server's `asr-streaming` protocol.

It re-frames the received PCM into 1920-sample frames and answers one `Step` per frame.
Voice activity comes from frame energy: while voiced the pause probabilities are low,
after the voice stops they rise over ~0.5 s of stream time. Each voiced segment consumes
the next scripted utterance; its words come out as `Word`/`EndWord`, spread over the
segment and delayed by `delay_s` of STREAM time (samples received), like the real
model's lag: the last words of an utterance only come out once `delay_s` more audio has
arrived, which is what the backend's flush-with-zeros trick relies on.
"""

from __future__ import annotations

import asyncio
from collections import deque
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import numpy.typing as npt
from websockets.asyncio.server import ServerConnection

from tests.doubles.ws_server import ScriptedSpeechServer, pack, unpack

SAMPLE_RATE = 24_000
FRAME_SAMPLES = 1920
FRAME_S = FRAME_SAMPLES / SAMPLE_RATE
VOICED_PAUSE_PROBABILITY = 0.05
SILENT_PAUSE_PROBABILITY = 0.95
PAUSE_RISE_S = 0.5  # how long after the voice stops the pause probability saturates


@dataclass
class _Segment:
    """A voiced stretch of audio and the utterance it is being transcribed as."""

    start_s: float
    words: list[str]
    next_word: int = 0
    last_start_s: float = 0.0


@dataclass
class SttSession:
    """The transcription of one stream: PCM and markers in, protocol messages out.

    Pure and synchronous, so the timing rules are easy to follow; the server only moves
    its output onto the socket.
    """

    utterances: deque[list[str]]
    delay_s: float = 0.5
    voice_rms: float = 0.01
    word_spacing_s: float = 0.3
    _pending: npt.NDArray[np.float32] = field(default_factory=lambda: np.zeros(0, dtype=np.float32))
    _frames_done: int = 0
    _segment: _Segment | None = None
    _silent_since_s: float | None = None  # None: no voice yet in this stream
    _scheduled: deque[tuple[float, dict[str, Any]]] = field(default_factory=deque)
    _markers: deque[tuple[int, int]] = field(default_factory=deque)  # (sample position, id)
    _samples_received: int = 0

    @property
    def stream_time_s(self) -> float:
        return self._samples_received / SAMPLE_RATE

    def feed_audio(self, pcm: npt.NDArray[np.float32]) -> list[dict[str, Any]]:
        self._samples_received += pcm.size
        self._pending = np.concatenate([self._pending, pcm])
        out: list[dict[str, Any]] = []
        while self._pending.size >= FRAME_SAMPLES:
            frame, self._pending = (
                self._pending[:FRAME_SAMPLES],
                self._pending[FRAME_SAMPLES:],
            )
            out.extend(self._process_frame(frame))
        return out

    def feed_marker(self, marker_id: int) -> list[dict[str, Any]]:
        self._markers.append((self._samples_received, marker_id))
        return self._due_markers()

    def _process_frame(self, frame: npt.NDArray[np.float32]) -> list[dict[str, Any]]:
        index = self._frames_done
        start_s, end_s = index * FRAME_S, (index + 1) * FRAME_S
        voiced = float(np.sqrt(np.mean(np.square(frame)))) > self.voice_rms
        if voiced:
            self._continue_segment(start_s)
        elif self._segment is not None:
            self._end_segment(start_s)
        self._frames_done += 1

        out: list[dict[str, Any]] = []
        while self._scheduled and self._scheduled[0][0] <= end_s + 1e-9:
            out.append(self._scheduled.popleft()[1])
        pause = self._pause_probability(end_s)
        out.append(
            {
                "type": "Step",
                "step_idx": index,
                "prs": [pause] * 4,
                "buffered_pcm": int(self._pending.size),
            }
        )
        out.extend(self._due_markers())
        return out

    def _continue_segment(self, frame_start_s: float) -> None:
        if self._segment is None:
            words = self.utterances.popleft() if self.utterances else []
            self._segment = _Segment(start_s=frame_start_s, words=words)
        segment = self._segment
        while segment.next_word < len(segment.words):
            planned_s = segment.start_s + segment.next_word * self.word_spacing_s
            if planned_s > frame_start_s + 1e-9:
                break
            self._schedule_word(segment, planned_s)

    def _end_segment(self, end_s: float) -> None:
        segment = self._segment
        assert segment is not None
        remaining = len(segment.words) - segment.next_word
        for j in range(remaining):  # squeeze the words not yet due into the rest
            start = segment.last_start_s
            self._schedule_word(segment, start + (end_s - start) * (j + 1) / (remaining + 1))
        if segment.words:
            self._schedule({"type": "EndWord", "stop_time": end_s}, end_s)
        self._segment = None
        self._silent_since_s = end_s

    def _schedule_word(self, segment: _Segment, start_s: float) -> None:
        if segment.next_word > 0:
            self._schedule({"type": "EndWord", "stop_time": start_s}, start_s)
        text = segment.words[segment.next_word]
        self._schedule({"type": "Word", "text": text, "start_time": start_s}, start_s)
        segment.next_word += 1
        segment.last_start_s = start_s

    def _schedule(self, message: dict[str, Any], at_s: float) -> None:
        self._scheduled.append((at_s + self.delay_s, message))

    def _pause_probability(self, now_s: float) -> float:
        if self._segment is not None:
            return VOICED_PAUSE_PROBABILITY
        if self._silent_since_s is None:
            return SILENT_PAUSE_PROBABILITY
        rise = min(1.0, (now_s - self._silent_since_s) / PAUSE_RISE_S)
        return VOICED_PAUSE_PROBABILITY + rise * (
            SILENT_PAUSE_PROBABILITY - VOICED_PAUSE_PROBABILITY
        )

    def _due_markers(self) -> list[dict[str, Any]]:
        processed = self._frames_done * FRAME_SAMPLES
        out: list[dict[str, Any]] = []
        while self._markers and self._markers[0][0] <= processed:
            out.append({"type": "Marker", "id": self._markers.popleft()[1]})
        return out


class SttDouble(ScriptedSpeechServer):
    """`async with SttDouble([["hello", "there"]]) as stt:` then connect to `stt.url`.

    `stall_after_s`: once that much audio was received, stop answering and stop reading,
    like a hung node (the client's writes back up).
    `abort_after_s`: drop the connection without a close frame at that point.
    `idle_close_s`: close a stream normally once it got no message for that long, as
    moshi-server does (after ~20 s).
    """

    path = "/api/asr-streaming"

    def __init__(
        self,
        utterances: Sequence[Sequence[str]] = (),
        *,
        slots: int = 4,
        api_key: str | None = "public_token",
        delay_s: float = 0.5,
        voice_rms: float = 0.01,
        word_spacing_s: float = 0.3,
        stall_after_s: float | None = None,
        abort_after_s: float | None = None,
        idle_close_s: float | None = None,
        after_ready: Sequence[Mapping[str, Any]] = (),
    ) -> None:
        super().__init__(slots=slots, api_key=api_key, after_ready=after_ready)
        self.utterances: deque[list[str]] = deque(list(u) for u in utterances)
        self.delay_s = delay_s
        self.voice_rms = voice_rms
        self.word_spacing_s = word_spacing_s
        self.stall_after_s = stall_after_s
        self.abort_after_s = abort_after_s
        self.idle_close_s = idle_close_s
        self.streams_closed_idle = 0
        self.audio_samples_received = 0
        self.markers_received: list[int] = []
        self.steps_sent = 0
        self.words_sent: list[str] = []
        self.stalled = False

    async def serve_stream(self, connection: ServerConnection) -> None:
        session = SttSession(
            self.utterances,
            delay_s=self.delay_s,
            voice_rms=self.voice_rms,
            word_spacing_s=self.word_spacing_s,
        )
        while True:
            try:
                async with asyncio.timeout(self.idle_close_s):
                    frame = await connection.recv()
            except TimeoutError:
                self.streams_closed_idle += 1
                await connection.close()
                return
            message = unpack(frame)
            if message["type"] == "Audio":
                pcm = np.asarray(message["pcm"], dtype=np.float32)
                self.audio_samples_received += pcm.size
                out = session.feed_audio(pcm)
            elif message["type"] == "Marker":
                self.markers_received.append(int(message["id"]))
                out = session.feed_marker(int(message["id"]))
            else:
                self.violation(f"unexpected message type {message['type']!r}")
                continue
            if self.abort_after_s is not None and session.stream_time_s >= self.abort_after_s:
                connection.transport.abort()
                return
            if self.stall_after_s is not None and session.stream_time_s >= self.stall_after_s:
                self.stalled = True
                await self.hang(connection)
                return
            for reply in out:
                if reply["type"] == "Step":
                    self.steps_sent += 1
                elif reply["type"] == "Word":
                    self.words_sent.append(reply["text"])
                await connection.send(pack(reply))
