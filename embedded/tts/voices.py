"""Map any voice id onto an espeak voice, the same one every time.

Clients ask for Kyutai voice paths (`unmute-prod-website/p329_022.wav`,
`expresso/ex03-ex01_happy_001_channel1_334s.wav`, …) or anything else. We cannot clone
those files on a CPU, so each id picks one of a few distinct espeak voices by hash, with
a small pitch and rate offset, so that different characters still sound different.
"""

from __future__ import annotations

import hashlib
import re

from embedded.tts.espeak import EspeakParams

DEFAULT_VOICE = EspeakParams(voice="en-us", pitch=50, pitch_range=50, rate=175)

# (variant, pitch, range, rate): plain variants only; espeak's novelty ones (croak,
# whisper, robot…) would surprise a user who picked an ordinary character.
PRESETS: tuple[tuple[str, int, int, int], ...] = (
    ("", 50, 50, 175),
    ("m3", 38, 55, 165),
    ("m1", 60, 45, 180),
    ("m7", 45, 60, 170),
    ("f2", 50, 50, 175),
    ("f3", 60, 55, 180),
    ("f1", 42, 45, 168),
    ("f5", 52, 60, 185),
)
_ENGLISH = "en-us"
_FRENCH = "fr"
# Enough to tell two ids apart that share a preset, small enough to keep the preset's character.
_PITCH_JITTER = 6
_RATE_JITTER = 8

_FRENCH_HINT = re.compile(r"(?:^|[^a-z])(?:fr|fra|french|francais|français)(?:[^a-z]|$)|french")


def is_french(voice_id: str) -> bool:
    """True for ids like `cml-tts/fr/…`, `voice_fr_02`, `French-narrator`."""
    return _FRENCH_HINT.search(voice_id.lower()) is not None


def voice_for_id(voice_id: str | None) -> EspeakParams:
    """The espeak settings for a voice id; no id means the default voice."""
    if not voice_id:
        return DEFAULT_VOICE
    digest = hashlib.sha256(voice_id.encode()).digest()
    variant, pitch, pitch_range, rate = PRESETS[digest[0] % len(PRESETS)]
    language = _FRENCH if is_french(voice_id) else _ENGLISH
    return EspeakParams(
        voice=f"{language}+{variant}" if variant else language,
        pitch=pitch + _jitter(digest[1], _PITCH_JITTER),
        pitch_range=pitch_range,
        rate=rate + _jitter(digest[2], _RATE_JITTER),
    )


def _jitter(byte: int, spread: int) -> int:
    """A value in [-spread, spread] taken from one hash byte."""
    return byte % (2 * spread + 1) - spread
