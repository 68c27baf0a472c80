"""Voice activity and pocketsphinx recognition on spoken flite clips, without a server."""

from __future__ import annotations

from dataclasses import dataclass
from itertools import pairwise

import numpy as np
import numpy.typing as npt
import pytest

from embedded.stt.framing import FrameAssembler
from embedded.stt.recognizer import SpeechRecognizer
from embedded.stt.voice_activity import BLOCK_SAMPLES, VoiceActivityDetector
from embedded.stt.word_commit import TimedWord
from tests.speech_clips import SAMPLE_RATE, SENTENCES, silence, speak, word_error_rate

MAX_WORD_ERROR_RATE = 0.08  # measured 2-3 % over all test sentences; room for a few misses


@dataclass(frozen=True)
class Heard:
    word: TimedWord
    at_s: float  # how much audio had been fed when the word became final


@pytest.fixture(scope="module")
def recognizer() -> SpeechRecognizer:
    return SpeechRecognizer()


def recognise(recognizer: SpeechRecognizer, pcm: npt.NDArray[np.float32]) -> list[Heard]:
    recognizer.reset()
    vad = VoiceActivityDetector()
    heard = []
    for frame in FrameAssembler().push(pcm):
        analysed = vad.analyse(frame)
        heard += [
            Heard(w, recognizer.audio_s) for w in recognizer.feed(analysed.pcm16k, analysed.voiced)
        ]
    return heard


def test_voice_activity_follows_the_speech() -> None:
    speech = speak("please turn off the lights in the kitchen")
    vad = VoiceActivityDetector()
    decisions: list[bool] = []
    pcm_bytes = 0
    for frame in FrameAssembler().push(np.concatenate([silence(1.0), speech, silence(1.0)])):
        analysed = vad.analyse(frame)
        decisions += analysed.voiced
        pcm_bytes += len(analysed.pcm16k)
    assert pcm_bytes == len(decisions) * BLOCK_SAMPLES * 2
    blocks_per_s = 50
    assert not any(decisions[: blocks_per_s * 9 // 10])  # the leading silence
    assert not any(decisions[-blocks_per_s * 9 // 10 :])  # the trailing silence
    assert sum(decisions) > 0.5 * len(speech) / SAMPLE_RATE * blocks_per_s


def test_sentences_are_recognised(recognizer: SpeechRecognizer) -> None:
    sentences = SENTENCES[::4]
    hypotheses = []
    for sentence in sentences:
        heard = recognise(recognizer, np.concatenate([speak(sentence), silence(1.0)]))
        hypotheses.append(" ".join(h.word.text for h in heard))
    assert word_error_rate(list(sentences), hypotheses) <= MAX_WORD_ERROR_RATE


def test_words_are_placed_where_they_are_spoken(recognizer: SpeechRecognizer) -> None:
    lead_s = 1.5
    speech = speak("please call my mother when you get home")
    heard = recognise(recognizer, np.concatenate([silence(lead_s), speech, silence(1.0)]))
    words = [h.word for h in heard]
    assert [w.text for w in words][:4] == ["please", "call", "my", "mother"]
    assert words[0].start_s >= lead_s - 0.1
    assert words[-1].stop_s <= lead_s + len(speech) / SAMPLE_RATE
    assert all(a.stop_s <= b.start_s + 1e-6 for a, b in pairwise(words))


def test_early_words_are_final_before_the_speaker_pauses(recognizer: SpeechRecognizer) -> None:
    first, second = (
        speak("i am going to the store this afternoon"),
        speak("the children are playing"),
    )
    speech = np.concatenate([first[: -SAMPLE_RATE // 10], second[SAMPLE_RATE // 10 :]])
    heard = recognise(recognizer, np.concatenate([speech, silence(1.0)]))
    speech_end_s = len(speech) / SAMPLE_RATE
    assert heard[0].at_s < speech_end_s - 1.0


def test_the_last_word_is_final_shortly_after_the_voice_stops(
    recognizer: SpeechRecognizer,
) -> None:
    speech = speak("what time is it right now")
    heard = recognise(recognizer, np.concatenate([speech, silence(1.0)]))
    assert heard[-1].word.text == "now"
    assert heard[-1].at_s - heard[-1].word.stop_s < 0.5


def test_finish_closes_the_utterance_in_progress(recognizer: SpeechRecognizer) -> None:
    speech = speak("thank you very much for your help")
    heard = recognise(recognizer, speech[: len(speech) * 9 // 10])  # cut off mid-sentence
    words = [h.word.text for h in heard] + [w.text for w in recognizer.finish()]
    assert words[:4] == ["thank", "you", "very", "much"]
    assert not recognizer.in_utterance
    assert recognizer.finish() == []


def test_silence_yields_no_words(recognizer: SpeechRecognizer) -> None:
    assert recognise(recognizer, silence(3.0)) == []
    assert not recognizer.in_utterance


def test_reset_starts_a_new_stream(recognizer: SpeechRecognizer) -> None:
    recognise(recognizer, speak("hello how are you today")[:20_000])  # left mid-utterance
    heard = recognise(
        recognizer, np.concatenate([speak("my brother works at the hospital"), silence(1.0)])
    )
    assert heard[0].word.text == "my"
    assert heard[0].word.start_s < 0.5
