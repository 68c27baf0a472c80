"""The conversation's STT clock: framing, one step count across streams, stall and give-up.

A conversation outlives its STT streams, and the core counts steps from the start of the
conversation. This object keeps that count (samples of user audio since the start, gaps
between streams included), so a stream's step 0 is renumbered to where that stream began.
It also decides the rest of the link's policy:

- framing: audio goes out in whole 80 ms frames (the STT cannot use part of one, and
  whole frames mean a quarter of the messages for 20 ms browser pages); audio short of
  a frame waits, and is lost with its stream, like the audio of the gap;
- stalls: a stream owed an answer for at least a frame of audio, that has said nothing
  for `stall_after_s` since it came to owe one, is stuck (a browser that paused its audio
  does not make the stream stuck the moment it sends again);
- giving up: streams that break before their first answer, one after another, mean
  recognition is unavailable, not that a node had a hiccup: the link waits a growing
  pause between them, and after `max_silent_failures` the conversation is told.

It is pure: no sockets, no sleeps, no clock reads; every time is passed in as `now`.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from backend.speech_protocol.constants import FRAME_SAMPLES

Pcm = npt.NDArray[np.float32]

STALL_AFTER_S = 1.0  # a live STT answers every 80 ms; a second of silence means it is stuck
MAX_SILENT_FAILURES = 3
SILENT_FAILURE_BACKOFF_S = 0.2  # doubled after each such failure


@dataclass(frozen=True)
class SttAnswer:
    """What one message from the stream means on the conversation's clock."""

    first_of_stream: bool  # the stream's first answer: `opened_s` ago it was asked for
    opened_s: float


@dataclass(frozen=True)
class Reopen:
    """Open another stream after `delay_s`."""

    delay_s: float


@dataclass(frozen=True)
class GiveUp:
    """Stop reopening: recognition is unavailable."""

    reason: str


class SttClock:
    def __init__(
        self,
        *,
        stall_after_s: float = STALL_AFTER_S,
        max_silent_failures: int = MAX_SILENT_FAILURES,
        silent_failure_backoff_s: float = SILENT_FAILURE_BACKOFF_S,
    ) -> None:
        if stall_after_s <= 0 or max_silent_failures < 1 or silent_failure_backoff_s < 0:
            raise ValueError("stall_after_s and max_silent_failures must be positive")
        self.stall_after_s = stall_after_s
        self._max_silent_failures = max_silent_failures
        self._backoff_s = silent_failure_backoff_s
        self.samples_sent = 0  # user audio since the start, over every stream, gaps included
        self.streaming = False  # a stream is open and takes audio
        self._unsent: list[Pcm] = []
        self._unsent_samples = 0
        self._stream_origin = 0  # where the current stream's step 0 lies on the clock
        self._transmitted = 0  # samples that left for a stream, whole frames only
        self._answered_transmitted = 0  # `_transmitted` when the stream last answered
        self._last_answer_at = 0.0
        self._asked_at = 0.0  # when the current stream was asked for
        self._stream_answered = False
        self._silent_failures = 0  # streams in a row that broke before answering
        self.audio_waiting = False  # audio arrived while no stream was open

    # --- streams --------------------------------------------------------------------------

    def stream_opened(self, asked_at: float, now: float) -> None:
        """A stream asked for at `asked_at` is ready; its step 0 is the next audio."""
        self.streaming = True
        self.audio_waiting = False
        self._asked_at = asked_at
        self._stream_answered = False
        self._stream_origin = self.samples_sent
        self._last_answer_at = now
        self._answered_transmitted = self._transmitted

    def stream_ended(self) -> None:
        """The server closed the stream normally: the next audio asks for another."""
        self._drop()

    def stream_failed(self) -> Reopen | GiveUp:
        """The stream broke or stalled; what to do next."""
        self._drop()
        if not self._stream_answered:
            self._silent_failures += 1
        if self._silent_failures >= self._max_silent_failures:
            return GiveUp(f"{self._silent_failures} streams in a row broke before answering")
        delay = self._backoff_s * 2 ** (self._silent_failures - 1) if self._silent_failures else 0
        return Reopen(delay_s=delay)

    def _drop(self) -> None:
        self.streaming = False
        self._unsent, self._unsent_samples = [], 0  # lost with the stream, like the gap

    # --- audio out ------------------------------------------------------------------------

    def take_audio(self, pcm: Pcm, now: float) -> Pcm | None:
        """The whole frames to transmit now, if any; the rest waits for the next audio."""
        self.samples_sent += int(pcm.size)
        if not self.streaming:
            self.audio_waiting = True
            return None  # between two streams: this audio is lost
        self._unsent.append(pcm)
        self._unsent_samples += int(pcm.size)
        if self._unsent_samples < FRAME_SAMPLES:
            return None
        pending = np.concatenate(self._unsent) if len(self._unsent) > 1 else self._unsent[0]
        whole = self._unsent_samples - self._unsent_samples % FRAME_SAMPLES
        rest = pending[whole:]
        self._unsent = [rest] if rest.size else []
        self._unsent_samples = int(rest.size)
        if not self._owes_answer():
            self._last_answer_at = now  # a debt starts now: the wait for its answer too
        self._transmitted += whole
        return pending[:whole]

    # --- answers in -----------------------------------------------------------------------

    def answered(self, now: float) -> SttAnswer:
        """The stream sent a message at `now`."""
        first = not self._stream_answered
        self._stream_answered, self._silent_failures = True, 0
        self._last_answer_at = now
        self._answered_transmitted = self._transmitted
        return SttAnswer(first_of_stream=first, opened_s=now - self._asked_at)

    def conversation_step(self, stream_step: int) -> int:
        """A stream's step index on the conversation's clock."""
        return self._stream_origin // FRAME_SAMPLES + stream_step

    # --- stalls ---------------------------------------------------------------------------

    def stalled(self, now: float) -> bool:
        """Audio is owed an answer and none came for `stall_after_s`."""
        return self._owes_answer() and now - self._last_answer_at > self.stall_after_s

    def stall_check_at(self, now: float) -> float:
        """The earliest time after `now` at which `stalled` can become true, whatever
        audio and answers come in between: a watcher that checks only then misses no
        stall. With audio owed an answer, the end of its wait; otherwise a debt that
        starts from `now` on ends its wait `stall_after_s` later at the soonest."""
        if self._owes_answer():
            return self._last_answer_at + self.stall_after_s
        return now + self.stall_after_s

    def _owes_answer(self) -> bool:
        return self._transmitted - self._answered_transmitted >= FRAME_SAMPLES
