"""The Whisper recogniser's timing rules on scripted timelines, with a scripted transcriber.

The audio fed is synthetic: every sample of the n-th 20 ms block holds the value n, so
the scripted transcriber knows where in the stream each window it gets starts and
ends, and answers with the script's words heard by then, timed from the window's start,
like Whisper would.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt
import pytest

from embedded.stt import whisper_recognizer
from embedded.stt.voice_activity import BLOCK_S, BLOCK_SAMPLES
from embedded.stt.whisper_recognizer import (
    PREROLL_S,
    UTTERANCE_END_SILENCE_S,
    WhisperRecognizer,
)
from embedded.stt.word_commit import TimedWord

BLOCKS_PER_FRAME = 4


@dataclass
class Window:
    start_s: float
    end_s: float
    context: str
    final: bool


@dataclass
class ScriptedWhisper:
    """Hears each word of the script once the window holds all of it."""

    script: list[TimedWord]
    windows: list[Window] = field(default_factory=list)

    def transcribe(
        self, audio: npt.NDArray[np.float32], context: str, final: bool
    ) -> list[TimedWord]:
        first_block = round(float(audio[0]) * 32768.0)
        start_s = first_block * BLOCK_S
        end_s = start_s + len(audio) / 16_000
        self.windows.append(Window(start_s, end_s, context, final))
        return [
            TimedWord(word.text, word.start_s - start_s, word.stop_s - start_s)
            for word in self.script
            if word.start_s >= start_s - 0.01 and word.stop_s <= end_s
        ]


@dataclass(frozen=True)
class Heard:
    word: TimedWord
    at_s: float  # stream audio fed when the word came out


class Timeline:
    """Feeds 80 ms frames of synthetic audio with scripted voice decisions."""

    def __init__(self, recognizer: WhisperRecognizer) -> None:
        self.recognizer = recognizer
        self.blocks = 0
        self.heard: list[Heard] = []

    def feed(self, seconds: float, voiced: bool, behind: bool = False) -> None:
        frames = round(seconds / (BLOCK_S * BLOCKS_PER_FRAME))
        for _ in range(frames):
            indices = range(self.blocks, self.blocks + BLOCKS_PER_FRAME)
            pcm = np.repeat(np.array(indices, dtype=np.int16), BLOCK_SAMPLES).tobytes()
            self.blocks += BLOCKS_PER_FRAME
            words = self.recognizer.feed(pcm, [voiced] * BLOCKS_PER_FRAME, behind=behind)
            self.heard += [Heard(word, self.blocks * BLOCK_S) for word in words]

    def texts(self) -> list[str]:
        return [heard.word.text for heard in self.heard]


def sentence(text: str, start_s: float, word_s: float = 0.4) -> list[TimedWord]:
    return [
        TimedWord(word, start_s + i * word_s, start_s + (i + 1) * word_s)
        for i, word in enumerate(text.split())
    ]


def test_words_come_out_while_the_speaker_talks() -> None:
    script = sentence("one two three four five six seven eight nine ten", start_s=1.0)
    whisper = ScriptedWhisper(script)
    timeline = Timeline(WhisperRecognizer(whisper.transcribe))
    timeline.feed(1.04, voiced=False)
    timeline.feed(4.0, voiced=True)  # speech ends at 5.0 s
    first = timeline.heard[0]
    assert first.word.text == "one"
    # Two transcriptions must agree on it: at most two pass intervals after it ends.
    assert first.at_s - first.word.stop_s <= 2 * whisper_recognizer.PASS_INTERVAL_S + 0.08
    assert len(timeline.heard) >= 6  # most words long before the speaker stops
    assert timeline.recognizer.in_utterance


def test_the_last_words_are_final_when_the_voice_has_paused() -> None:
    script = sentence("what time is it", start_s=0.48)
    whisper = ScriptedWhisper(script)
    timeline = Timeline(WhisperRecognizer(whisper.transcribe))
    timeline.feed(0.48, voiced=False)
    timeline.feed(1.6, voiced=True)
    timeline.feed(1.0, voiced=False)
    assert timeline.texts() == ["what", "time", "is", "it"]
    voice_end_s = 0.48 + 1.6
    assert timeline.heard[-1].at_s - voice_end_s <= UTTERANCE_END_SILENCE_S + 0.08
    assert not timeline.recognizer.in_utterance


def test_the_transcription_made_in_the_pause_is_the_final_one() -> None:
    whisper = ScriptedWhisper(sentence("hello there", start_s=0.0))
    timeline = Timeline(WhisperRecognizer(whisper.transcribe))
    timeline.feed(0.8, voiced=True)
    timeline.feed(0.08, voiced=False)  # a pause begins: transcribed at once
    in_pause = len(whisper.windows)
    timeline.feed(0.4, voiced=False)  # the utterance closes
    assert len(whisper.windows) == in_pause
    assert timeline.texts() == ["hello", "there"]
    assert [window.final for window in whisper.windows] == [False] * (in_pause - 1) + [True]


def test_a_pause_that_ends_too_soon_does_not_close_the_utterance() -> None:
    whisper = ScriptedWhisper(sentence("one two three four", start_s=0.0))
    timeline = Timeline(WhisperRecognizer(whisper.transcribe))
    timeline.feed(0.8, voiced=True)
    timeline.feed(0.08, voiced=False)
    timeline.feed(0.8, voiced=True)
    assert timeline.recognizer.in_utterance
    timeline.feed(0.32, voiced=False)
    assert timeline.texts() == ["one", "two", "three", "four"]


def test_a_recogniser_behind_the_audio_skips_to_the_final_transcription() -> None:
    whisper = ScriptedWhisper(sentence("one two three four five", start_s=0.0))
    timeline = Timeline(WhisperRecognizer(whisper.transcribe))
    timeline.feed(2.0, voiced=True, behind=True)
    timeline.feed(0.4, voiced=False, behind=True)
    assert len(whisper.windows) == 1
    assert whisper.windows[0].final
    assert timeline.texts() == ["one", "two", "three", "four", "five"]


def test_the_utterance_starts_with_the_audio_just_before_the_voice() -> None:
    whisper = ScriptedWhisper(sentence("hi", start_s=1.0))
    timeline = Timeline(WhisperRecognizer(whisper.transcribe))
    timeline.feed(1.04, voiced=False)
    timeline.feed(0.4, voiced=True)
    timeline.feed(0.4, voiced=False)
    assert whisper.windows[0].start_s == pytest.approx(1.04 - PREROLL_S)
    assert timeline.texts() == ["hi"]


def test_a_long_utterance_is_cut_after_a_committed_sentence() -> None:
    first = sentence("one two three four five six seven eight nine ten.", start_s=0.0)
    second = sentence("eleven twelve thirteen fourteen fifteen sixteen", start_s=4.0, word_s=1.0)
    whisper = ScriptedWhisper(first + second)
    timeline = Timeline(WhisperRecognizer(whisper.transcribe))
    timeline.feed(12.0, voiced=True)
    later = whisper.windows[-1]
    assert later.start_s == pytest.approx(4.0, abs=0.02)  # after "ten."
    assert later.context.endswith("nine ten.")
    assert later.end_s - later.start_s < whisper_recognizer.TRIM_AT_SENTENCE_AFTER_S + 0.5
    timeline.feed(0.4, voiced=False)
    assert len(timeline.texts()) == 16


def test_an_utterance_with_nothing_to_cut_is_closed_before_whisper_s_limit() -> None:
    whisper = ScriptedWhisper([])  # nothing recognisable: no word to cut after
    timeline = Timeline(WhisperRecognizer(whisper.transcribe))
    timeline.feed(whisper_recognizer.MAX_WINDOW_S + 1.0, voiced=True)
    assert max(w.end_s - w.start_s for w in whisper.windows) <= whisper_recognizer.MAX_WINDOW_S


def test_finish_closes_the_utterance_in_progress() -> None:
    whisper = ScriptedWhisper(sentence("thank you very much", start_s=0.0))
    timeline = Timeline(WhisperRecognizer(whisper.transcribe))
    timeline.feed(1.6, voiced=True)
    words = timeline.texts() + [word.text for word in timeline.recognizer.finish()]
    assert words == ["thank", "you", "very", "much"]
    assert not timeline.recognizer.in_utterance
    assert timeline.recognizer.finish() == []


def test_reset_starts_a_new_stream() -> None:
    whisper = ScriptedWhisper(sentence("left mid sentence", start_s=0.0))
    recognizer = WhisperRecognizer(whisper.transcribe)
    Timeline(recognizer).feed(0.8, voiced=True)
    recognizer.reset()
    assert not recognizer.in_utterance
    assert recognizer.audio_s == 0.0
    assert recognizer.finish() == []


def test_silence_is_never_transcribed() -> None:
    whisper = ScriptedWhisper([])
    Timeline(WhisperRecognizer(whisper.transcribe)).feed(3.0, voiced=False)
    assert whisper.windows == []


def test_audio_must_come_with_one_decision_per_block() -> None:
    recognizer = WhisperRecognizer(ScriptedWhisper([]).transcribe)
    with pytest.raises(ValueError, match="one voice decision per 20 ms block"):
        recognizer.feed(bytes(BLOCK_SAMPLES * 2 * 3), [True, False])
