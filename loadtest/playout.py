"""A simulated browser playout buffer: does the bot's voice play without holes?

The browser queues decoded audio and plays it at a steady rate. It waits for a little
audio before starting a turn, then plays continuously; if the queue runs dry before the
next audio arrives, the listener hears a gap (an underrun). This model takes arrival
times and sample counts, so it is pure and can be fed a scripted timeline.
"""

from __future__ import annotations

SAMPLE_RATE = 24_000
# Browser output worklets hold back this much audio before starting, so that ordinary
# network jitter does not cause an underrun in the first milliseconds.
START_BUFFER_S = 0.08
# A hole shorter than this is scheduling noise, not something a listener hears.
GAP_TOLERANCE_S = 0.01


class PlayoutBuffer:
    """Tracks one bot turn at a time; `start_turn` resets it for the next one."""

    def __init__(
        self,
        start_buffer_s: float = START_BUFFER_S,
        gap_tolerance_s: float = GAP_TOLERANCE_S,
        sample_rate: int = SAMPLE_RATE,
    ) -> None:
        if start_buffer_s < 0 or gap_tolerance_s < 0 or sample_rate <= 0:
            raise ValueError("buffer sizes must be non-negative and the rate positive")
        self._start_samples = round(start_buffer_s * sample_rate)
        self._tolerance_s = gap_tolerance_s
        self._rate = sample_rate
        self.start_turn()

    def start_turn(self) -> None:
        self.gaps: list[float] = []
        """Durations (s) of the audible holes in this turn, in order."""
        self.samples = 0
        """Samples received in this turn."""
        self.first_arrival: float | None = None
        self.last_arrival: float | None = None
        self._last_chunk_samples = 0
        self._waiting_samples = 0
        self._drains_at: float | None = None  # None: not playing yet

    @property
    def audio_s(self) -> float:
        return self.samples / self._rate

    @property
    def gap_s(self) -> float:
        return sum(self.gaps)

    @property
    def playing(self) -> bool:
        return self._drains_at is not None

    def add(self, at: float, samples: int) -> None:
        """`samples` of decoded audio arrived at time `at` (seconds, any monotonic clock)."""
        if samples <= 0:
            return
        if self.first_arrival is None:
            self.first_arrival = at
        self.last_arrival = at
        self._last_chunk_samples = samples
        self.samples += samples
        duration = samples / self._rate
        if self._drains_at is None:
            self._waiting_samples += samples
            if self._waiting_samples >= self._start_samples:
                self._drains_at = at + self._waiting_samples / self._rate
                self._waiting_samples = 0
            return
        if at > self._drains_at:
            hole = at - self._drains_at
            if hole > self._tolerance_s:
                self.gaps.append(hole)
            self._drains_at = at + duration
        else:
            self._drains_at += duration

    def realtime_factor(self) -> float | None:
        """Seconds of audio delivered per second of wall time while it was arriving
        (the last chunk counts for its own length): at least 1 keeps up with playback."""
        if self.first_arrival is None or self.last_arrival is None:
            return None
        window = self.last_arrival - self.first_arrival + self._last_chunk_samples / self._rate
        return self.samples / self._rate / window if window > 0 else None
