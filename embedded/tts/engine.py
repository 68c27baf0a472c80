"""Speak phrases with espeak on one dedicated thread, without blocking the event loop.

libespeak-ng has process-wide state, so every server in the process shares one engine
and one thread; phrases from concurrent streams queue there. espeak renders far faster
than real time, so the queue stays short.
"""

from __future__ import annotations

import asyncio
import bisect
import functools
import time
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
import soxr

from embedded.tts.espeak import Espeak, EspeakParams, WordEvent

SAMPLE_RATE = 24_000


@dataclass(frozen=True)
class TimedWord:
    text: str
    start_s: float
    stop_s: float


@dataclass(frozen=True)
class Utterance:
    """A spoken phrase: 24 kHz float32 audio and when each word is said in it."""

    audio: npt.NDArray[np.float32]
    words: list[TimedWord]
    synthesis_s: float  # compute time spent on it

    @property
    def duration_s(self) -> float:
        return len(self.audio) / SAMPLE_RATE


def phrase_text(words: Sequence[str], open_ended: bool) -> tuple[str, list[int]]:
    """The text espeak reads, and where each word starts in it (character index)."""
    starts: list[int] = []
    position = 0
    for word in words:
        starts.append(position)
        position += len(word) + 1
    text = " ".join(words)
    # A trailing comma gives continuing intonation instead of a sentence-final fall.
    return (text + "," if open_ended and text else text), starts


def align_words(
    words: Sequence[str], starts: Sequence[int], events: Sequence[WordEvent], duration_s: float
) -> list[TimedWord]:
    """Start and stop time of each word, from espeak's WORD events.

    espeak may report a word several times (numbers) or not at all (it reads "I am" as
    one word, and skips symbols). A word keeps its first event; words without one share
    the time of the word before them, in proportion to their length.
    """
    if not words:
        return []
    found: list[float | None] = [None] * len(words)
    for event in events:
        index = bisect.bisect_right(starts, event.text_position) - 1
        if 0 <= index < len(words) and found[index] is None:
            found[index] = min(max(event.audio_position_s, 0.0), duration_s)
    found[0] = found[0] or 0.0
    anchors = [i for i, value in enumerate(found) if value is not None]
    begin = [0.0] * len(words)
    latest = 0.0
    for anchor, next_anchor in zip(anchors, [*anchors[1:], len(words)], strict=True):
        latest = max(latest, found[anchor] or 0.0)
        until = found[next_anchor] if next_anchor < len(words) else duration_s
        span_end = max(latest, until or 0.0)
        weights = np.cumsum([0] + [len(word) + 1 for word in words[anchor:next_anchor]])
        for offset, weight in enumerate(weights[:-1]):
            begin[anchor + offset] = latest + (span_end - latest) * float(weight / weights[-1])
    return [
        TimedWord(
            text=word,
            start_s=begin[i],
            stop_s=begin[i + 1] if i + 1 < len(words) else duration_s,
        )
        for i, word in enumerate(words)
    ]


class SpeechEngine:
    """Synthesises phrases one at a time on its own thread."""

    def __init__(self) -> None:
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="espeak")
        self._espeak: Espeak | None = None

    async def speak(self, words: Sequence[str], voice: EspeakParams, open_ended: bool) -> Utterance:
        """Speak `words` as one phrase; `open_ended` when the sentence goes on after it."""
        loop = asyncio.get_running_loop()
        call = functools.partial(self._speak_now, tuple(words), voice, open_ended)
        return await loop.run_in_executor(self._executor, call)

    def _speak_now(
        self, words: tuple[str, ...], voice: EspeakParams, open_ended: bool
    ) -> Utterance:
        started = time.perf_counter()
        if self._espeak is None:
            self._espeak = Espeak()
        text, starts = phrase_text(words, open_ended)
        raw = self._espeak.synthesize(text, voice)
        audio = raw.samples.astype(np.float32) / 32768.0
        if len(audio) and raw.sample_rate != SAMPLE_RATE:
            audio = soxr.resample(audio, raw.sample_rate, SAMPLE_RATE).astype(np.float32)
        duration_s = len(audio) / SAMPLE_RATE
        timed = align_words(words, starts, raw.words, duration_s)
        return Utterance(audio=audio, words=timed, synthesis_s=time.perf_counter() - started)


@functools.cache
def shared_engine() -> SpeechEngine:
    """The process's one engine (libespeak-ng cannot run twice in a process)."""
    return SpeechEngine()
