"""Ogg Opus at the browser edge: encoding the bot's voice into one continuous stream."""

from __future__ import annotations

import numpy as np
import pytest

from backend.audio.ogg import (
    ENCODER_FRAME_SAMPLES,
    OggPageSplitter,
    OpusInputDecoder,
    OpusOutputEncoder,
)
from tests.unit.ogg_streams import best_correlation, encode_stream, sine


def test_round_trip_preserves_length_and_content() -> None:
    original = sine(1.0)
    decoded = OpusInputDecoder().feed(encode_stream(original))
    assert decoded.dtype == np.float32
    assert decoded.size == original.size
    assert best_correlation(decoded, original) > 0.9


def test_flush_pads_the_pending_partial_frame_with_silence() -> None:
    encoder = OpusOutputEncoder()
    assert encoder.encode(sine(0.1)[: ENCODER_FRAME_SAMPLES - 1]) == b""
    first = encoder.encode(sine(0.1)[ENCODER_FRAME_SAMPLES - 1 : 1860])
    assert first.startswith(b"OggS") and encoder.pending_samples == 900
    tail = encoder.flush()
    assert tail and encoder.pending_samples == 0 and encoder.flush() == b""
    assert encoder.samples_encoded == 2 * ENCODER_FRAME_SAMPLES
    decoded = OpusInputDecoder().feed(first + tail)
    assert decoded.size == 2 * ENCODER_FRAME_SAMPLES
    # The flushed frame held 900 samples of the sine (RMS 0.35) before its padding.
    assert float(np.sqrt(np.mean(decoded[1100:1800] ** 2))) > 0.2


def test_encoder_output_is_one_continuous_stream_of_complete_pages() -> None:
    encoder = OpusOutputEncoder()
    chunks = [encoder.encode(sine(0.3)), encoder.flush(), encoder.encode(sine(0.2)), b""]
    chunks.append(encoder.flush())
    splitter = OggPageSplitter()
    pages = []
    for chunk in chunks:
        splitter.feed(chunk)
        while (page := splitter.next_page()) is not None:
            pages.append(page)
        assert splitter.pending_bytes == 0, "every chunk must end on a page boundary"
    assert pages[0].is_bos and pages[0].body.startswith(b"OpusHead")
    assert pages[1].body.startswith(b"OpusTags")
    assert not any(page.is_bos for page in pages[1:])
    assert {page.serial for page in pages} == {pages[0].serial}
    assert [page.sequence for page in pages] == list(range(len(pages)))
    granules = [page.granule_position for page in pages[2:]]
    assert granules == sorted(granules) and len(set(granules)) == len(granules)


def test_encoder_coerces_dtype_and_layout() -> None:
    samples = sine(0.2).astype(np.float64)[::2]  # float64 and not contiguous
    assert not samples.flags.c_contiguous
    encoder = OpusOutputEncoder()
    pages = encoder.encode(samples) + encoder.flush()
    assert OpusInputDecoder().feed(pages).size == 3 * ENCODER_FRAME_SAMPLES
    assert encoder.encode([0.0] * 10) == b""


def test_encoder_refuses_multichannel_input() -> None:
    with pytest.raises(ValueError, match="1-D"):
        OpusOutputEncoder().encode(np.zeros((2, 960), dtype=np.float32))
