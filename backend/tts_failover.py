"""Which of a reply's words each TTS stream speaks, where its audio goes, and when it is stuck.

A reply's words may take several TTS streams: a node may fail, stall or close early in
the middle of the reply. The rules:

- the words a stream has not yet spoken are those without a word timing; the next stream
  is sent exactly those (a word whose timing arrived was heard, and is not repeated);
- the next stream's audio and timings continue where the reply's audio stopped: its
  times are shifted by the audio already handed on, on the one 24 kHz wire clock;
- a stream is stalled when it owes an answer (words or `Eos` sent and not yet spoken)
  and has said nothing for `stall_after_s` since it came to owe one (a node that waited
  idle for a slow LLM is not stuck the moment the next word goes out);
- a reply takes at most `max_streams` streams, then ends with what was spoken.

It also states the reply's typed timing facts (the first audio, `first_audio_after_s`
after the first word was given). It is pure: no sockets, no sleeps, no clock reads.
"""

from __future__ import annotations

from dataclasses import dataclass

from backend.speech_protocol.constants import SAMPLE_RATE

STALL_AFTER_S = 2.0  # words or Eos owed an answer and none for this long: the node is stuck
MAX_STREAMS_PER_REPLY = 3  # the first node and two replacements, then the turn ends


@dataclass(frozen=True)
class Outgoing:
    """What to send on the current stream now: these words, then `Eos` if `eos`."""

    words: list[str]
    eos: bool


@dataclass(frozen=True)
class TimedWord:
    """A word the current stream spoke, on the reply's audio clock."""

    text: str
    start_s: float
    stop_s: float


class TtsFailover:
    def __init__(
        self, *, stall_after_s: float = STALL_AFTER_S, max_streams: int = MAX_STREAMS_PER_REPLY
    ) -> None:
        if stall_after_s <= 0 or max_streams < 1:
            raise ValueError("stall_after_s and max_streams must be positive")
        self.stall_after_s = stall_after_s
        self.max_streams = max_streams
        self._words: list[str] = []
        self._ended = False
        self._timed = 0  # words whose timing arrived: spoken by some stream
        self._audio_samples = 0  # audio handed on, over every stream
        self._streams = 0
        self._offset_s = 0.0  # where the current stream's audio starts in the reply's
        self._sent = 0  # words sent, counted from the start of the reply
        self._eos_sent = False
        self._last_answer_at = 0.0
        self._first_word_at: float | None = None
        self.first_audio_after_s: float | None = None

    # --- the reply's text -----------------------------------------------------------------

    def speak(self, word: str, now: float) -> None:
        if self._first_word_at is None:
            self._first_word_at = now
        self._words.append(word)

    def end(self) -> None:
        self._ended = True

    @property
    def words_left(self) -> int:
        """Words not yet spoken by any stream."""
        return len(self._words) - self._timed

    # --- streams --------------------------------------------------------------------------

    def may_open_stream(self) -> bool:
        return self._streams < self.max_streams

    def stream_opened(self, now: float) -> None:
        """A stream is ready: it starts with the first unspoken word, where the audio ends."""
        if not self.may_open_stream():
            raise RuntimeError(f"a reply takes at most {self.max_streams} TTS streams")
        self._streams += 1
        self._offset_s = self._audio_samples / SAMPLE_RATE
        self._sent = self._timed
        self._eos_sent = False
        self._last_answer_at = now

    def outgoing(self, now: float) -> Outgoing:
        """The words given since the last call (and `Eos` once the text is complete)."""
        if not self._owes_answer():
            self._last_answer_at = now  # a debt starts now: the wait for its answer too
        words = self._words[self._sent :]
        self._sent = len(self._words)
        eos = self._ended and not self._eos_sent
        self._eos_sent |= eos
        return Outgoing(words, eos)

    @property
    def all_sent(self) -> bool:
        """Every word and `Eos` went to the current stream: nothing more will be sent."""
        return self._eos_sent

    def ended_early(self) -> bool:
        """The server closed the stream normally: early, unless it had been sent `Eos`."""
        return not self._eos_sent

    # --- answers --------------------------------------------------------------------------

    def audio(self, samples: int, now: float) -> None:
        self._last_answer_at = now
        if self.first_audio_after_s is None and self._first_word_at is not None:
            self.first_audio_after_s = now - self._first_word_at
        self._audio_samples += samples

    def word_timing(self, text: str, start_s: float, stop_s: float, now: float) -> TimedWord:
        """A word the stream spoke, its times on this stream's audio clock."""
        self._last_answer_at = now
        self._timed += 1
        return TimedWord(text, start_s + self._offset_s, stop_s + self._offset_s)

    def stalled(self, now: float) -> bool:
        return self._owes_answer() and now - self._last_answer_at > self.stall_after_s

    def stall_check_at(self, now: float) -> float:
        """The earliest time after `now` at which `stalled` can become true, whatever is
        sent and answered in between: a watcher that checks only then misses no stall.
        With an answer owed, the end of its wait; otherwise a debt that starts from `now`
        on ends its wait `stall_after_s` later at the soonest."""
        if self._owes_answer():
            return self._last_answer_at + self.stall_after_s
        return now + self.stall_after_s

    def _owes_answer(self) -> bool:
        return self._eos_sent or self._sent > self._timed
