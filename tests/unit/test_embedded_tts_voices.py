"""Voice ids map onto espeak voices deterministically; French ids speak French."""

from __future__ import annotations

from pathlib import Path

import espeakng_loader
import numpy as np

from embedded.tts.engine import shared_engine
from embedded.tts.voices import DEFAULT_VOICE, PRESETS, is_french, voice_for_id

KYUTAI_IDS = [
    "unmute-prod-website/p329_022.wav",
    "unmute-prod-website/developer-1.mp3",
    "expresso/ex03-ex01_happy_001_channel1_334s.wav",
    "expresso/ex04-ex02_sarcastic_001_channel1_466s.wav",
    "vctk/p225_023.wav",
    "ears/p003/emo_interest_freeform.wav",
]


def test_the_same_id_always_gets_the_same_voice() -> None:
    for voice_id in KYUTAI_IDS:
        assert voice_for_id(voice_id) == voice_for_id(voice_id)


def test_no_id_gets_the_default_voice() -> None:
    assert voice_for_id(None) == DEFAULT_VOICE
    assert voice_for_id("") == DEFAULT_VOICE


def test_different_ids_mostly_get_different_voices() -> None:
    voices = {voice_for_id(f"speaker-{i}.wav") for i in range(40)}
    assert len(voices) > 30
    assert len({v.voice for v in voices}) == len(PRESETS)


def test_french_hints_pick_a_french_voice() -> None:
    for voice_id in ["cml-tts/fr/2154_2576_000020-0003.wav", "voice_fr_02.wav", "French-lady"]:
        assert is_french(voice_id)
        assert voice_for_id(voice_id).voice.split("+")[0] == "fr"
    for voice_id in [*KYUTAI_IDS, "freesound/519189.mp3", "africa.wav", "frank.wav"]:
        assert not is_french(voice_id)
        assert voice_for_id(voice_id).voice.startswith("en-us")


async def test_every_preset_is_a_voice_espeak_can_speak() -> None:
    voices = {voice_for_id(f"{hint}{i}") for hint in ("", "fr/") for i in range(200)}
    by_name = {voice.voice: voice for voice in voices}
    assert len(by_name) == 2 * len(PRESETS)
    engine = shared_engine()
    for voice in by_name.values():
        utterance = await engine.speak(["hello", "there"], voice, False)
        assert np.sqrt(np.mean(utterance.audio**2)) > 0.01


def test_every_preset_variant_ships_with_espeak() -> None:
    # espeak silently ignores an unknown variant, so check the files themselves.
    variants = Path(espeakng_loader.get_data_path()) / "voices" / "!v"
    for variant, *_ in PRESETS:
        assert not variant or (variants / variant).is_file(), variant
