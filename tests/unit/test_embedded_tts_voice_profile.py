"""The CPU voice embedding: what the voice cloning service sends and the TTS reads back."""

from __future__ import annotations

import math

import msgpack
import pytest

from backend.speech_protocol.codec import pack
from embedded.voice_cloning.profile import (
    VoiceProfile,
    profile_from_voice_message,
    profile_to_voice_message,
)


def test_a_profile_survives_msgpack_with_float32() -> None:
    profile = VoiceProfile(pitch_hz=123.4, pitch_range_semitones=5.5, syllables_per_s=4.2)
    message = msgpack.unpackb(pack(profile_to_voice_message(profile)))
    assert message["type"] == "Voice"
    decoded = profile_from_voice_message(message["embeddings"], message["shape"])
    assert decoded is not None
    assert math.isclose(decoded.pitch_hz, 123.4, rel_tol=1e-6)
    assert math.isclose(decoded.pitch_range_semitones, 5.5, rel_tol=1e-6)
    assert math.isclose(decoded.syllables_per_s, 4.2, rel_tol=1e-6)


GOOD = profile_to_voice_message(VoiceProfile(150.0, 4.0, 5.0))


@pytest.mark.parametrize(
    ("embeddings", "shape"),
    [
        ([0.01] * 512, [1, 512]),  # a neural embedding
        ([[0.1, 0.2]], [1, 2]),
        (b"\x00" * 20, [1, 5]),
        (None, None),
        ([1.0, *GOOD["embeddings"][1:]], GOOD["shape"]),  # wrong tag
        ([*GOOD["embeddings"][:1], 2.0, *GOOD["embeddings"][2:]], GOOD["shape"]),  # version
        ([*GOOD["embeddings"][:2], 5000.0, 4.0, 5.0], GOOD["shape"]),  # not a human pitch
        ([*GOOD["embeddings"][:2], float("nan"), 4.0, 5.0], GOOD["shape"]),
        ([*GOOD["embeddings"][:2], True, 4.0, 5.0], GOOD["shape"]),
        (GOOD["embeddings"], [5]),
    ],
)
def test_anything_else_is_not_ours(embeddings: object, shape: object) -> None:
    assert profile_from_voice_message(embeddings, shape) is None
