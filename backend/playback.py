"""Releasing the bot's voice and subtitles on a real-time clock.

The TTS produces audio faster than real time, and tells when each word is spoken in
that audio. If the backend forwarded everything at once, the browser would hold
seconds of speech that a barge-in could no longer stop, and subtitles would run ahead
of the voice. The pacer holds the audio back so that at most `max_ahead_s` is ever
buffered beyond what the listener has heard, and releases each word when the voice
reaches it. Once the listener hears audio, it tops that buffer up in batches of at least
`refill_s` rather than a TTS frame at a time: half as many sends (and wake-ups, and
events to the browser) while the buffer stays between `max_ahead_s - refill_s` and
`max_ahead_s`. A word the listener is about to reach, within `WORD_LEAD_S`, goes out
with the audio released before it, not on a wake-up of its own.

It is pure: no sockets, no sleeps, no clock reads. Every method takes `now` in seconds
(any monotonic clock), so timelines can be scripted in tests. The listener is modelled
as a cursor in TTS-audio seconds: it starts when the first audio is released, moves
with real time, and stalls at the end of the audio released so far (a TTS underrun).
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import numpy.typing as npt

from backend.speech_protocol.constants import SAMPLE_RATE

__all__ = ["DEFAULT_MAX_AHEAD_S", "SAMPLE_RATE", "WORD_LEAD_S", "PlaybackPacer", "Release"]

# A few hundred ms absorbs network jitter, yet a barge-in silences the bot quickly.
DEFAULT_MAX_AHEAD_S = 0.32
# Refill in halves: the buffer never falls below 0.16 s while the TTS keeps up.
DEFAULT_REFILL_FRACTION = 0.5
# A word shown this much before its voice is heard, when the player is awake anyway, needs
# no wake-up of its own; a subtitle that early is not noticed (a sound is noticed late
# from about 125 ms behind its picture, ITU-R BT.1359).
WORD_LEAD_S = 0.08
# Float slack when comparing times, far below one sample (42 µs).
_EPSILON_S = 1e-6

Pcm = npt.NDArray[np.float32]


@dataclass(frozen=True)
class Release:
    """What became due: audio to send now, words to show now, and whether all is done."""

    audio: list[Pcm] = field(default_factory=list)
    words: list[str] = field(default_factory=list)
    finished: bool = False


@dataclass(frozen=True)
class _Word:
    text: str
    start_s: float


class PlaybackPacer:
    """Paces one bot turn's audio and words; see the module docstring for the model."""

    def __init__(
        self,
        max_ahead_s: float = DEFAULT_MAX_AHEAD_S,
        sample_rate: int = SAMPLE_RATE,
        refill_s: float | None = None,
    ) -> None:
        if max_ahead_s <= 0 or sample_rate <= 0:
            raise ValueError("max_ahead_s and sample_rate must be positive")
        refill = max_ahead_s * DEFAULT_REFILL_FRACTION if refill_s is None else refill_s
        if not 0 <= refill <= max_ahead_s / 2:
            raise ValueError("refill_s must be between 0 and half of max_ahead_s")
        self.max_ahead_s = max_ahead_s
        self.sample_rate = sample_rate
        # Longer chunks are cut so the next piece fits before the listener runs dry.
        self._max_piece = max(1, int(max_ahead_s * sample_rate / 2))
        self._refill_samples = int(refill * sample_rate)
        self._pending_audio: deque[Pcm] = deque()
        self._pending_words: deque[_Word] = deque()
        self._released_samples = 0
        self._ended = False
        self._finish_reported = False
        # The listener's position (TTS-audio seconds) as of `_cursor_at`; None before
        # the first audio is released.
        self._cursor_s: float | None = None
        self._cursor_at = 0.0

    # --- input -------------------------------------------------------------------------

    # Each input says whether it may bring `next_wakeup` forward: the TTS runs ahead of
    # real time, so most of its audio only queues behind a chunk that does not fit yet,
    # and waking the player for that would cost a loop turn for nothing.

    def add_audio(self, pcm: npt.NDArray[np.floating[Any]]) -> bool:
        """Audio from the TTS, in order. True when the player must be woken: nothing was
        waiting before it (queued audio waits for the chunk ahead of it)."""
        was_waiting = bool(self._pending_audio)
        samples = np.asarray(pcm, dtype=np.float32).reshape(-1)
        for start in range(0, samples.size, self._max_piece):
            self._pending_audio.append(samples[start : start + self._max_piece])
        return not was_waiting

    def add_word(self, text: str, start_s: float, stop_s: float) -> bool:
        """A word and when it is spoken, in seconds of this turn's audio. True when the
        player must be woken: its audio was already released (a word ahead of its audio,
        as the TTS sends them, waits for that audio)."""
        del stop_s  # subtitles appear when a word starts; its end changes nothing
        self._pending_words.append(_Word(text, start_s))
        return start_s < self.released_s - _EPSILON_S

    def end_of_audio(self) -> None:
        """The TTS finished: no more audio or words will be added."""
        self._ended = True

    # --- queries -----------------------------------------------------------------------

    @property
    def released_s(self) -> float:
        """Audio released so far, in seconds."""
        return self._released_samples / self.sample_rate

    def played_s(self, now: float) -> float:
        """How far the listener has got in this turn's audio at `now`."""
        if self._cursor_s is None:
            return 0.0
        moved = self._cursor_s + max(0.0, now - self._cursor_at)
        return min(self.released_s, moved)

    def ahead_s(self, now: float) -> float:
        """Audio released but not yet heard at `now`."""
        return self.released_s - self.played_s(now)

    # --- pacing ------------------------------------------------------------------------

    def release(self, now: float) -> Release:
        """Everything due at `now`. Call it on every input and at `next_wakeup`."""
        self._advance_cursor(now)
        audio: list[Pcm] = []
        if self._pending_audio and self._fits(self._batch_head_samples()):
            while self._pending_audio and self._fits(self._pending_audio[0].size):
                chunk = self._pending_audio.popleft()
                self._released_samples += chunk.size
                audio.append(chunk)
                if self._cursor_s is None:  # the listener starts hearing the first chunk now
                    self._cursor_s, self._cursor_at = 0.0, now

        cursor = self.played_s(now)
        at_end = self._all_audio_released() and cursor >= self.released_s - _EPSILON_S
        # Words ride on audio only: the player's other wake-ups depend on when input came.
        reach = cursor + WORD_LEAD_S if audio else cursor
        words: list[str] = []
        while self._pending_words and (at_end or self._word_reached(self._pending_words[0], reach)):
            words.append(self._pending_words.popleft().text)

        finished = at_end and not self._pending_words
        self._finish_reported |= finished
        return Release(audio=audio, words=words, finished=finished)

    def next_wakeup(self, now: float) -> float | None:
        """When `release` next has something to give, assuming no new input; None when
        only new input (or nothing at all) can change anything."""
        if self._finish_reported:
            return None
        if self._cursor_s is None:
            nothing_to_play = self._all_audio_released()
            return now if self._pending_audio or nothing_to_play else None

        cursor = self.played_s(now)
        released = self.released_s
        due: list[float] = []
        if self._pending_audio:
            fits_at = self._cursor_needed_for(self._batch_head_samples())
            due.append(now + max(0.0, fits_at - cursor))
        if self._pending_words and self._pending_words[0].start_s < released - _EPSILON_S:
            due.append(now + max(0.0, self._pending_words[0].start_s - cursor))
        if self._all_audio_released():  # the end: leftover words, then `finished`
            due.append(now + max(0.0, released - cursor))
        return min(due, default=None)

    # --- internals ---------------------------------------------------------------------

    def _all_audio_released(self) -> bool:
        return self._ended and not self._pending_audio

    def _advance_cursor(self, now: float) -> None:
        if self._cursor_s is not None and now > self._cursor_at:
            self._cursor_s = self.played_s(now)
            self._cursor_at = now

    def _word_reached(self, word: _Word, reach: float) -> bool:
        """The word starts by `reach` (in TTS-audio seconds), and its audio is released
        (not a stall there)."""
        return word.start_s <= reach + _EPSILON_S and word.start_s < self.released_s - _EPSILON_S

    def _batch_head_samples(self) -> int:
        """Room a release must find before the queue's head may go: the head's own
        until the listener starts (the first audio goes at once), then a refill's."""
        head = self._pending_audio[0].size
        if self._cursor_s is None:
            return head
        return max(head, self._refill_samples)

    def _cursor_needed_for(self, samples: int) -> float:
        """The listener position at which `samples` more can be released."""
        return (self._released_samples + samples) / self.sample_rate - self.max_ahead_s

    def _fits(self, samples: int) -> bool:
        cursor = 0.0 if self._cursor_s is None else self._cursor_s
        return self._cursor_needed_for(samples) <= cursor + _EPSILON_S
