"""The OpenAI route's audio formats: PCM16 at 24 kHz, G.711 μ-law and A-law at 8 kHz."""

from __future__ import annotations

import warnings

import numpy as np
import pytest

from backend.openai_realtime.audio_format import (
    FormatName,
    InputAudio,
    OutputAudio,
    g711_decode,
    g711_encode,
)

with warnings.catch_warnings():
    warnings.simplefilter("ignore", DeprecationWarning)
    import audioop  # the standard library's reference G.711, until Python 3.13

EVERY_SAMPLE = np.arange(-32768, 32768).astype(np.int16)
REFERENCE = {
    "audio/pcmu": (audioop.lin2ulaw, audioop.ulaw2lin),
    "audio/pcma": (audioop.lin2alaw, audioop.alaw2lin),
}


@pytest.mark.parametrize("name", ["audio/pcmu", "audio/pcma"])
def test_g711_matches_the_reference_codec_for_every_sample_and_code(name: FormatName) -> None:
    encode, decode = REFERENCE[name]
    assert g711_encode(EVERY_SAMPLE, name) == encode(EVERY_SAMPLE.tobytes(), 2)
    codes = bytes(range(256))
    expected = np.frombuffer(decode(codes, 2), dtype=np.int16)
    assert np.array_equal(g711_decode(codes, name), expected)


def test_pcm16_split_mid_sample_between_appends_is_reassembled() -> None:
    samples = np.array([1000, -2000, 32767, -32768], dtype="<i2").tobytes()
    audio = InputAudio("audio/pcm")
    pieces = [audio.decode(samples[:3]), audio.decode(samples[3:7]), audio.decode(samples[7:])]
    decoded = np.concatenate(pieces)
    assert np.allclose(decoded * 32768, [1000, -2000, 32767, -32768])


def test_pcm16_round_trips_at_24_khz() -> None:
    tone = (0.5 * np.sin(np.arange(2400) / 5)).astype(np.float32)
    data = OutputAudio("audio/pcm").encode(tone)
    assert len(data) == 2 * tone.size
    assert np.max(np.abs(InputAudio("audio/pcm").decode(data) - tone)) < 1e-4


@pytest.mark.parametrize("name", ["audio/pcmu", "audio/pcma"])
def test_g711_is_8_khz_on_the_wire_and_24_khz_inside(name: FormatName) -> None:
    tone = (0.5 * np.sin(2 * np.pi * 300 * np.arange(24_000) / 24_000)).astype(np.float32)
    out = OutputAudio(name)
    for _ in range(2):  # one response's voice, then the next's
        wire = out.encode(tone) + out.encode(np.zeros(0, dtype=np.float32), last=True)
        assert abs(len(wire) - 8_000) <= 16, "one byte per sample at 8 kHz"
    back = InputAudio(name).decode(wire)
    # A streaming resampler holds its filter's delay back until more audio comes.
    assert 24_000 - 720 <= back.size <= 24_000, "at most 30 ms held back"
    middle = slice(2_000, 22_000)  # away from the resamplers' edges
    level = float(np.sqrt(np.mean(back[middle] ** 2)))
    assert abs(level - 0.5 / np.sqrt(2)) < 0.02, "the voice keeps its level"
