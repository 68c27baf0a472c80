"""Ogg Opus at the browser edge: decoding the user's stream through its starts, ends,
odd chunking, garbage and damaged pages."""

from __future__ import annotations

import itertools
from collections.abc import Callable

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from backend.audio.ogg import (
    ENCODER_FRAME_SAMPLES,
    MAX_PAGE_BYTES,
    OggFormatError,
    OpusInputDecoder,
)
from backend.audio.ogg_pages import FLAG_BOS, FLAG_EOS
from tests.unit.ogg_streams import (
    PAGES,
    PROPERTY_SETTINGS,
    REFERENCE_PCM,
    SPEECH,
    STREAM,
    best_correlation,
    build_page,
    decode_all,
    encode_stream,
    sine,
    split_pages,
    with_header_type,
)

# --- Decoder: beginning of stream ---------------------------------------------------


def test_stale_pages_and_garbage_before_the_first_bos_are_ignored_silently() -> None:
    decoder = OpusInputDecoder()
    assert not decoder.stream_started
    stale = encode_stream(sine(0.3, frequency=300.0))
    pcm, errors = decode_all(decoder, [*split_pages(stale)[2:], b"\x00garbage", STREAM])
    assert errors == 0
    assert decoder.stream_started
    np.testing.assert_array_equal(pcm, REFERENCE_PCM)
    assert decoder.samples_decoded == REFERENCE_PCM.size


def test_a_second_bos_starts_a_new_stream() -> None:
    decoder = OpusInputDecoder()
    first = decoder.feed(b"".join(PAGES[:6]))
    second_speech = sine(0.48, frequency=220.0)  # a whole number of frames
    second = decoder.feed(encode_stream(second_speech))
    assert first.size == 4 * ENCODER_FRAME_SAMPLES
    assert second.size == second_speech.size
    np.testing.assert_array_equal(second, OpusInputDecoder().feed(encode_stream(second_speech)))


def test_an_eos_page_ends_the_stream_until_the_next_bos() -> None:
    decoder = OpusInputDecoder()
    last = len(PAGES) - 1
    ended = [*PAGES[:3], with_header_type(PAGES[3], FLAG_EOS)]
    decoded, errors = decode_all(decoder, [*ended, *PAGES[4:last]])
    assert errors == 0 and decoded.size == 2 * ENCODER_FRAME_SAMPLES
    assert not decoder.stream_started
    assert decoder.feed(STREAM).size == REFERENCE_PCM.size


# --- Decoder: chunking and garbage --------------------------------------------------


@PROPERTY_SETTINGS
@given(st.lists(st.integers(min_value=0, max_value=len(STREAM)), max_size=25))
def test_bytes_split_anywhere_decode_the_same(cuts: list[int]) -> None:
    bounds = [0, *sorted(cuts), len(STREAM)]
    chunks = [STREAM[start:end] for start, end in itertools.pairwise(bounds)]
    pcm, errors = decode_all(OpusInputDecoder(), chunks)
    assert errors == 0
    np.testing.assert_array_equal(pcm, REFERENCE_PCM)


@PROPERTY_SETTINGS
@given(
    garbage=st.binary(min_size=1, max_size=400),
    before_page=st.integers(min_value=3, max_value=len(PAGES) - 1),
    glued=st.booleans(),
)
def test_garbage_between_pages_raises_and_decoding_continues(
    garbage: bytes, before_page: int, glued: bool
) -> None:
    chunks = list(PAGES)
    if glued:
        chunks[before_page] = garbage + chunks[before_page]
    else:
        chunks.insert(before_page, garbage)
    pcm, errors = decode_all(OpusInputDecoder(), chunks)
    assert errors >= 1
    np.testing.assert_array_equal(pcm, REFERENCE_PCM)


@pytest.mark.parametrize(
    "damage",
    [
        pytest.param(lambda page: page[: len(page) // 2], id="truncated"),
        pytest.param(lambda page: b"OggX" + page[4:], id="wrong-capture-pattern"),
        pytest.param(lambda page: page[:-5] + bytes([page[-5] ^ 0xFF]) + page[-4:], id="corrupt"),
    ],
)
def test_a_damaged_page_in_the_middle_is_skipped(damage: Callable[[bytes], bytes]) -> None:
    chunks = list(PAGES)
    chunks[5] = damage(chunks[5])
    decoder = OpusInputDecoder()
    pcm, errors = decode_all(decoder, chunks)
    assert errors == 1
    assert pcm.size == REFERENCE_PCM.size - ENCODER_FRAME_SAMPLES
    assert decoder.feed(encode_stream(SPEECH)).size == REFERENCE_PCM.size


def test_undecodable_opus_rebuilds_the_reader_and_the_stream_continues() -> None:
    # Valid Ogg, but more audio than sphn decodes in one go: its reader breaks for good.
    audio_packet = PAGES[3][28:]  # header 27 bytes + 1 lacing value
    flood = build_page([audio_packet] * 130, granule=10**6, sequence=99)
    decoder = OpusInputDecoder()
    decoder.feed(b"".join(PAGES[:4]))
    with pytest.raises(OggFormatError, match="could not be decoded"):
        decoder.feed(flood)
    after = decoder.feed(b"".join(PAGES[4:]))
    assert after.size == len(PAGES[4:]) * ENCODER_FRAME_SAMPLES
    # Pages 2 and 3 held the first two frames, so `after` starts two frames in.
    assert best_correlation(after, SPEECH[2 * ENCODER_FRAME_SAMPLES :]) > 0.9


@pytest.mark.parametrize(
    ("bad_page", "message"),
    [
        pytest.param(build_page([b""], granule=10**6), "empty", id="empty-packet"),
        pytest.param(
            build_page([PAGES[3][28:]], granule=10**6, serial=7), "another", id="other-serial"
        ),
        pytest.param(
            build_page([b"NotOpus!"], header_type=FLAG_BOS), "OpusHead", id="bos-without-head"
        ),
    ],
)
def test_a_refused_page_leaves_the_stream_going(bad_page: bytes, message: str) -> None:
    decoder = OpusInputDecoder()
    decoder.feed(b"".join(PAGES[:3]))
    with pytest.raises(OggFormatError, match=message):
        decoder.feed(bad_page)
    assert decoder.stream_started
    assert decoder.feed(PAGES[3]).size == ENCODER_FRAME_SAMPLES


def test_an_oversized_chunk_is_refused_and_the_decoder_stays_usable() -> None:
    decoder = OpusInputDecoder()
    decoder.feed(b"".join(PAGES[:5]))
    with pytest.raises(OggFormatError):
        decoder.feed(bytes(MAX_PAGE_BYTES + 1))
    assert decoder.feed(b"".join(PAGES[5:])).size == len(PAGES[5:]) * ENCODER_FRAME_SAMPLES


def test_valid_audio_sharing_a_chunk_with_garbage_is_not_lost() -> None:
    decoder = OpusInputDecoder()
    decoder.feed(b"".join(PAGES[:3]))
    with pytest.raises(OggFormatError) as raised:
        decoder.feed(PAGES[3] + b"junk" + PAGES[4])
    assert raised.value.decoded.size == 2 * ENCODER_FRAME_SAMPLES
    assert decoder.samples_decoded == 3 * ENCODER_FRAME_SAMPLES
