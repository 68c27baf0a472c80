"""Speak phrases with espeak on one dedicated thread, without blocking the event loop.

libespeak-ng has process-wide state, so every server in the process shares one engine
and one thread; phrases from concurrent streams queue there. espeak renders far faster
than real time, so the queue stays short. The Piper engine phonemises on the same
thread (`call`).
"""

from __future__ import annotations

import asyncio
import bisect
import functools
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import TypeVar

import numpy as np
import soxr

from backend.speech_protocol.constants import SAMPLE_RATE
from embedded.tts import cloned_voices, voices
from embedded.tts.espeak import Espeak, EspeakParams, WordEvent
from embedded.tts.phrasing import WORD_LIMITS
from embedded.tts.synthesizer import TimedWord, Utterance
from embedded.voice_cloning.profile import VoiceProfile

T = TypeVar("T")


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

    phrase_word_limits: tuple[int, ...] = WORD_LIMITS

    def __init__(self) -> None:
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="espeak")
        self._espeak: Espeak | None = None

    def voice_for_id(self, voice_id: str | None) -> EspeakParams:
        return voices.voice_for_id(voice_id)

    def voice_for_profile(self, profile: VoiceProfile) -> EspeakParams:
        return cloned_voices.voice_for_profile(profile)

    async def speak(
        self,
        words: Sequence[str],
        voice: EspeakParams,
        open_ended: bool,
        deadline: float | None = None,
    ) -> Utterance:
        """Speak `words` as one phrase; `open_ended` when the sentence goes on after it.
        Phrases are spoken in turn: espeak is so fast that `deadline` does not matter."""
        return await self.call(functools.partial(self._speak_now, tuple(words), voice, open_ended))

    async def call(self, work: Callable[[Espeak], T]) -> T:
        """Run `work` with libespeak-ng on the engine's thread, the only one that may use it."""
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self._executor, self._with_espeak, work)

    def call_now(self, work: Callable[[Espeak], T]) -> T:
        """`call` for code without an event loop: blocks until `work` is done."""
        return self._executor.submit(self._with_espeak, work).result()

    def _with_espeak(self, work: Callable[[Espeak], T]) -> T:
        if self._espeak is None:
            self._espeak = Espeak()
        return work(self._espeak)

    def _speak_now(
        self, words: tuple[str, ...], voice: EspeakParams, open_ended: bool, espeak: Espeak
    ) -> Utterance:
        started = time.perf_counter()
        text, starts = phrase_text(words, open_ended)
        raw = espeak.synthesize(text, voice)
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
