"""The packaged Piper voice speaks phrases: 24 kHz audio, word times, characters, clones."""

from __future__ import annotations

import itertools

import numpy as np
import pytest

from backend.speech_protocol.constants import SAMPLE_RATE
from embedded.tts.espeak import EspeakParams
from embedded.tts.piper_engine import (
    MAX_PHONEMES_PER_CALL,
    PiperEngine,
    id_edges_s,
    load_piper_engine,
    sound_bounds,
    synthesize,
)
from embedded.tts.piper_voices import PiperParams
from embedded.tts.synthesizer import Utterance
from embedded.voice_cloning.analysis import measure_voice
from embedded.voice_cloning.profile import VoiceProfile

SPEECH = (
    "The quick brown fox jumps over the lazy dog. I would like a cup of tea, please, "
    "and some biscuits."
)


@pytest.fixture(scope="module")
def engine() -> PiperEngine:
    return load_piper_engine()


def assert_plausible_times(utterance: Utterance) -> None:
    words = utterance.words
    assert all(0.0 <= w.start_s <= w.stop_s <= utterance.duration_s for w in words)
    assert all(a.stop_s <= b.start_s for a, b in itertools.pairwise(words))
    assert words[0].start_s < 0.2  # speech starts at once: the model's silence is trimmed
    assert words[-1].stop_s > utterance.duration_s - 0.3


def test_text_becomes_24khz_float_speech() -> None:
    audio = synthesize("Good morning, how did you sleep?")
    assert audio.dtype == np.float32 and audio.ndim == 1
    assert 1.0 < len(audio) / SAMPLE_RATE < 4.0
    assert np.sqrt(np.mean(audio**2)) > 0.02
    assert np.abs(audio).max() <= 1.0


@pytest.mark.parametrize(
    "text",
    [
        "Sure!",
        "I am here in 2024, and it costs $5.50 today.",
        "Well, first you boil the water, then you add the pasta and a pinch of salt.",
    ],
)
def test_word_times_come_in_order_within_the_audio(engine: PiperEngine, text: str) -> None:
    assert engine.voice.times_words_from_durations
    utterance = engine.speak_now(text)
    assert [w.text for w in utterance.words] == text.split()
    assert_plausible_times(utterance)


def test_a_long_word_lasts_longer_than_a_short_one(engine: PiperEngine) -> None:
    words = engine.speak_now("I said extraordinarily loudly").words
    assert words[2].stop_s - words[2].start_s > 3 * (words[0].stop_s - words[0].start_s)


def test_a_higher_character_speaks_higher_at_the_same_pace(engine: PiperEngine) -> None:
    low = engine.speak_now(SPEECH, PiperParams(pitch=0.84))
    high = engine.speak_now(SPEECH, PiperParams(pitch=1.26))
    low_pitch = measure_voice(low.audio, SAMPLE_RATE).pitch_hz
    high_pitch = measure_voice(high.audio, SAMPLE_RATE).pitch_hz
    assert high_pitch / low_pitch == pytest.approx(1.5, rel=0.15)
    assert high.duration_s == pytest.approx(low.duration_s, rel=0.15)


def test_a_faster_character_is_shorter(engine: PiperEngine) -> None:
    slow = engine.speak_now(SPEECH, PiperParams(tempo=0.8))
    fast = engine.speak_now(SPEECH, PiperParams(tempo=1.25))
    assert slow.duration_s / fast.duration_s == pytest.approx(1.56, rel=0.15)


async def test_a_cloned_profile_sets_pitch_and_rate(engine: PiperEngine) -> None:
    low_slow = engine.voice_for_profile(VoiceProfile(90.0, 4.0, 4.5))
    high_fast = engine.voice_for_profile(VoiceProfile(130.0, 4.0, 6.5))
    first = await engine.speak(SPEECH.split(), low_slow, False)
    second = await engine.speak(SPEECH.split(), high_fast, False)
    first_measured = measure_voice(first.audio, SAMPLE_RATE)
    second_measured = measure_voice(second.audio, SAMPLE_RATE)
    assert first_measured.pitch_hz == pytest.approx(90.0, rel=0.12)
    assert second_measured.pitch_hz == pytest.approx(130.0, rel=0.12)
    assert first.duration_s / second.duration_s == pytest.approx(6.5 / 4.5, rel=0.15)


async def test_french_ids_are_spoken_by_espeak(engine: PiperEngine) -> None:
    voice = engine.voice_for_id("cml-tts/fr/2154_2576_000020-0003.wav")
    assert isinstance(voice, EspeakParams) and voice.voice.startswith("fr")
    utterance = await engine.speak(["Bonjour", "à", "tous."], voice, False)
    assert np.sqrt(np.mean(utterance.audio**2)) > 0.01
    assert isinstance(engine.voice_for_id("vctk/p225_023.wav"), PiperParams)


def test_a_long_phrase_is_split_and_kept_whole(engine: PiperEngine) -> None:
    text = " ".join([SPEECH] * 3)
    utterance = engine.speak_now(text)
    assert [w.text for w in utterance.words] == text.split()
    assert_plausible_times(utterance)
    assert utterance.duration_s > 12


def test_a_runaway_word_is_cut(engine: PiperEngine) -> None:
    # Unknown symbols are spelled out by name: 100 of them would take a minute to say.
    word = "".join(chr(0x2200 + i) for i in range(100))
    utterance = engine.speak_now(word)
    phonemes_per_s = 12  # about what the voice speaks
    assert utterance.duration_s < MAX_PHONEMES_PER_CALL / phonemes_per_s


def test_silence_around_the_sound_is_trimmed() -> None:
    rate = 22_050
    tone = 0.5 * np.sin(2 * np.pi * 200 * np.arange(rate) / rate).astype(np.float32)
    audio = np.concatenate([np.zeros(rate // 2, np.float32), tone, np.zeros(rate, np.float32)])
    first, end = sound_bounds(audio, rate)
    assert rate // 2 - 0.02 * rate < first <= rate // 2
    assert 1.5 * rate <= end < 1.5 * rate + 0.06 * rate
    assert sound_bounds(np.zeros(rate, np.float32), rate) == (0, rate)


def test_without_durations_every_id_lasts_alike() -> None:
    edges = id_edges_s(
        None, id_count=4, raw_samples=400, trimmed_from=100, played_rate=100.0, duration_s=3.0
    )
    assert list(edges) == [0.0, 0.0, 1.0, 2.0, 3.0]
