"""The bot's voice encoded with the system's libopus: a standard Ogg Opus stream, cheap."""

from __future__ import annotations

import struct

import numpy as np
import pytest
import sphn
from numpy.typing import NDArray

import backend.audio.ogg as ogg
from backend.audio.libopus import ENCODER_COMPLEXITY, LibopusEncoder, load_libopus
from backend.audio.ogg import ENCODER_FRAME_SAMPLES, SAMPLE_RATE, OpusOutputEncoder
from backend.audio.ogg_pages import OggPage, OggPageSplitter
from backend.audio.ogg_writer import OggOpusWriter, opus_head, opus_tags


@pytest.fixture
def system_libopus() -> None:
    """The encoder the backend ships with: a host without it fails these checks instead
    of skipping them."""
    if load_libopus() is None:
        pytest.fail(
            "the system's libopus was not found: apt-get install libopus0 (./scripts/setup)"
        )


needs_libopus = pytest.mark.usefixtures("system_libopus")


def voice_like(seconds: float) -> NDArray[np.float32]:
    """A 150 Hz buzz with harmonics, its loudness moving like syllables."""
    t = np.arange(int(seconds * SAMPLE_RATE)) / SAMPLE_RATE
    buzz = sum(np.sin(2 * np.pi * 150 * k * t) / k for k in range(1, 8))
    envelope = 0.5 + 0.5 * np.sin(2 * np.pi * 3 * t)
    return (0.2 * envelope * buzz).astype(np.float32)


def pages_of(data: bytes) -> list[OggPage]:
    splitter = OggPageSplitter(max_pending_bytes=max(len(data), 1 << 16))
    splitter.feed(data)
    pages = []
    while (page := splitter.next_page()) is not None:  # checks every CRC
        pages.append(page)
    assert splitter.pending_bytes == 0
    return pages


def best_correlation(a: NDArray[np.float32], b: NDArray[np.float32]) -> float:
    """Normalised correlation at the best lag up to 20 ms (the codec's delay)."""
    best = 0.0
    for lag in range(0, 480, 4):
        x, y = a[lag : lag + 12_000], b[: min(12_000, a.size - lag)]
        x = x[: y.size]
        best = max(best, float(np.dot(x, y) / (np.linalg.norm(x) * np.linalg.norm(y) + 1e-9)))
    return best


@needs_libopus
def test_the_encoder_runs_at_the_chosen_complexity() -> None:
    encoder = LibopusEncoder(SAMPLE_RATE)
    assert encoder.complexity == ENCODER_COMPLEXITY
    assert 0 < encoder.lookahead < ENCODER_FRAME_SAMPLES
    packet = encoder.encode(voice_like(0.04))
    assert 0 < len(packet) < 400
    encoder.close()
    encoder.close()  # closing twice is harmless


@needs_libopus
def test_the_stream_has_standard_headers_and_one_packet_per_page() -> None:
    encoder = OpusOutputEncoder()
    assert encoder.codec.startswith("libopus")
    data = encoder.encode(voice_like(0.4)) + encoder.flush()
    pages = pages_of(data)
    head, tags, audio = pages[0], pages[1], pages[2:]
    assert head.is_bos and not any(page.is_bos for page in pages[1:])
    magic, version, channels, pre_skip, rate, gain, mapping = struct.unpack("<8sBBHIhB", head.body)
    lookahead = LibopusEncoder(SAMPLE_RATE).lookahead
    assert (magic, version, channels, rate, gain, mapping) == (b"OpusHead", 1, 1, 24_000, 0, 0)
    assert pre_skip == 2 * lookahead  # counted at 48 kHz
    assert tags.body.startswith(b"OpusTags")
    assert len(audio) == 10  # 0.4 s in 40 ms packets
    assert [page.granule_position for page in audio] == [1920 * (i + 1) for i in range(10)]
    assert [len(page.segment_table) for page in audio] == [1] * 10
    assert {page.serial for page in pages} == {ogg.STREAM_SERIAL}


@needs_libopus
def test_the_stream_decodes_to_the_same_voice() -> None:
    original = voice_like(1.0)
    encoder = OpusOutputEncoder()
    data = encoder.encode(original) + encoder.flush()
    decoded = np.asarray(sphn.OpusStreamReader(SAMPLE_RATE).append_bytes(data), np.float32)
    assert decoded.size == original.size
    assert best_correlation(decoded, original) > 0.9


def test_without_libopus_the_sphn_encoder_is_used(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(ogg, "load_libopus", lambda: None)
    encoder = OpusOutputEncoder()
    assert encoder.codec == "sphn"
    data = encoder.encode(voice_like(0.2)) + encoder.flush()
    assert pages_of(data)[0].body.startswith(b"OpusHead")
    assert OpusOutputEncoder(use_libopus=False).codec == "sphn"


def test_the_writer_laces_long_packets_and_counts_granules_at_48_khz() -> None:
    writer = OggOpusWriter(
        opus_head(input_sample_rate=24_000, pre_skip=312), opus_tags("t"), 7, 24_000
    )
    data = writer.header_pages() + writer.page(b"x" * 255, 960) + writer.page(b"y" * 600, 480)
    head, tags, first, second = pages_of(data)
    assert head.body == opus_head(input_sample_rate=24_000, pre_skip=312)
    assert tags.body == b"OpusTags\x01\x00\x00\x00t\x00\x00\x00\x00"
    assert first.segment_table == bytes([255, 0]) and first.body == b"x" * 255
    assert second.segment_table == bytes([255, 255, 90])
    assert (first.granule_position, second.granule_position) == (1920, 2880)
    assert [p.sequence for p in (head, tags, first, second)] == [0, 1, 2, 3]
    with pytest.raises(ValueError):
        OggOpusWriter(b"", b"", 1, 44_100)
