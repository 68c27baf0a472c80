"""Ogg Opus at the browser edge: page splitting, decoding the user, encoding the bot."""

from __future__ import annotations

import itertools
import struct
from collections.abc import Callable, Iterable

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from numpy.typing import NDArray

from backend.audio.ogg import (
    ENCODER_FRAME_SAMPLES,
    MAX_PAGE_BYTES,
    SAMPLE_RATE,
    OggFormatError,
    OggPageSplitter,
    OpusInputDecoder,
    OpusOutputEncoder,
)
from backend.audio.ogg_pages import FLAG_BOS, FLAG_EOS, ogg_crc

PROPERTY_SETTINGS = settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)


def sine(seconds: float, frequency: float = 440.0, amplitude: float = 0.5) -> NDArray[np.float32]:
    t = np.arange(int(seconds * SAMPLE_RATE)) / SAMPLE_RATE
    return (amplitude * np.sin(2 * np.pi * frequency * t)).astype(np.float32)


def encode_stream(pcm: NDArray[np.float32]) -> bytes:
    encoder = OpusOutputEncoder()
    return encoder.encode(pcm) + encoder.flush()


def split_pages(data: bytes) -> list[bytes]:
    splitter = OggPageSplitter(max_pending_bytes=max(len(data), MAX_PAGE_BYTES))
    splitter.feed(data)
    pages = []
    while (page := splitter.next_page()) is not None:
        pages.append(page.data)
    assert splitter.pending_bytes == 0
    return pages


def raw_page(
    lacing: bytes,
    body: bytes,
    *,
    header_type: int = 0,
    granule: int = 0,
    serial: int = 42,
    sequence: int = 0,
) -> bytes:
    """A page with a valid CRC around the given segment table and body."""
    header = struct.pack(
        "<4sBBqIIIB", b"OggS", 0, header_type, granule, serial, sequence, 0, len(lacing)
    )
    page = bytearray(header + lacing + body)
    page[22:26] = struct.pack("<I", ogg_crc(bytes(page)))
    return bytes(page)


def build_page(packets: Iterable[bytes], **header: int) -> bytes:
    """A well-formed page holding whole packets."""
    lacing = bytearray()
    body = bytearray()
    for packet in packets:
        lacing += bytes([255] * (len(packet) // 255) + [len(packet) % 255])
        body += packet
    return raw_page(bytes(lacing), bytes(body), **header)


def with_header_type(page: bytes, header_type: int) -> bytes:
    changed = bytearray(page)
    changed[5] = header_type
    changed[22:26] = struct.pack("<I", ogg_crc(bytes(changed)))
    return bytes(changed)


def decode_all(
    decoder: OpusInputDecoder, chunks: Iterable[bytes]
) -> tuple[NDArray[np.float32], int]:
    """Feed every chunk; returns all PCM (errors' `decoded` included) and the error count."""
    parts: list[NDArray[np.float32]] = []
    errors = 0
    for chunk in chunks:
        try:
            parts.append(decoder.feed(chunk))
        except OggFormatError as error:
            errors += 1
            parts.append(error.decoded)
    return np.concatenate(parts) if parts else np.zeros(0, np.float32), errors


def best_correlation(
    decoded: NDArray[np.float32], original: NDArray[np.float32], max_lag: int = 960
) -> float:
    """Highest normalised correlation over the codec's possible delays."""
    window = original[2000:-2000]
    best = -1.0
    for lag in range(max_lag):
        shifted = decoded[2000 + lag : 2000 + lag + window.size]
        if shifted.size < window.size:
            break
        best = max(best, float(np.corrcoef(shifted, window)[0, 1]))
    return best


SPEECH = sine(0.5)
STREAM = encode_stream(SPEECH)
PAGES = split_pages(STREAM)
REFERENCE_PCM = OpusInputDecoder().feed(STREAM)


# --- Encoder ------------------------------------------------------------------------


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


# --- Page splitter ------------------------------------------------------------------


def test_ogg_crc_matches_the_specification_on_a_known_page() -> None:
    # The CRC field of pages made by sphn (the Rust `ogg` crate) must match ours.
    for page in PAGES:
        assert ogg_crc(page) == struct.unpack_from("<I", page, 22)[0]


@PROPERTY_SETTINGS
@given(st.binary(min_size=27, max_size=300))
def test_ogg_crc_matches_a_bitwise_reference(data: bytes) -> None:
    expected = 0
    for byte in data[:22] + b"\0\0\0\0" + data[26:]:
        expected ^= byte << 24
        for _ in range(8):
            expected = (expected << 1) ^ 0x04C11DB7 if expected & 0x80000000 else expected << 1
            expected &= 0xFFFFFFFF
    assert ogg_crc(data) == expected


def test_splitter_exposes_flags_and_holds_partial_pages() -> None:
    eos = with_header_type(PAGES[1], FLAG_EOS)
    splitter = OggPageSplitter()
    splitter.feed(PAGES[0][:10])
    assert splitter.next_page() is None
    splitter.feed(PAGES[0][10:] + eos[:30])
    head = splitter.next_page()
    assert head is not None and head.is_bos and not head.is_eos and head.data == PAGES[0]
    assert splitter.next_page() is None
    assert splitter.pending_bytes == 30
    splitter.feed(eos[30:])
    tags = splitter.next_page()
    assert tags is not None and tags.is_eos and not tags.is_bos and tags.data == eos
    assert splitter.pending_bytes == 0


def test_splitter_accepts_a_largest_page_fed_in_pieces() -> None:
    # 255 segments of 255 bytes: a packet that goes on to the next page.
    largest = raw_page(bytes([255] * 255), bytes(range(255)) * 255, granule=-1)
    assert len(largest) == MAX_PAGE_BYTES
    splitter = OggPageSplitter()
    for start in range(0, len(largest), 4096):
        assert splitter.next_page() is None
        splitter.feed(largest[start : start + 4096])
    page = splitter.next_page()
    assert page is not None and page.data == largest


def test_splitter_refuses_an_oversized_pending_buffer_and_stays_usable() -> None:
    splitter = OggPageSplitter()
    splitter.feed(PAGES[0][:20])
    with pytest.raises(OggFormatError, match="bytes"):
        splitter.feed(bytes(MAX_PAGE_BYTES))
    assert splitter.pending_bytes == 20
    splitter.feed(PAGES[0][20:])
    page = splitter.next_page()
    assert page is not None and page.data == PAGES[0]


def test_splitter_skips_garbage_and_keeps_a_split_capture_pattern() -> None:
    splitter = OggPageSplitter()
    splitter.feed(b"not ogg at all Og")
    with pytest.raises(OggFormatError):
        splitter.next_page()
    assert splitter.pending_bytes == 2  # "Og" may begin the next page
    splitter.feed(PAGES[0][2:])
    page = splitter.next_page()
    assert page is not None and page.data == PAGES[0]


def test_splitter_reports_a_run_of_garbage_once() -> None:
    false_starts = b"xxOggS" + bytes(30) + b"OggS\x01" + bytes(30) + b"Ogg"
    splitter = OggPageSplitter()
    splitter.feed(false_starts)
    with pytest.raises(OggFormatError):
        splitter.next_page()
    assert splitter.next_page() is None
    splitter.feed(b"\xff" + PAGES[0])
    page = splitter.next_page()
    assert page is not None and page.data == PAGES[0]


def test_splitter_rejects_an_unknown_version() -> None:
    page = bytearray(PAGES[2])
    page[4] = 1
    splitter = OggPageSplitter()
    splitter.feed(bytes(page) + PAGES[3])
    with pytest.raises(OggFormatError, match="version"):
        splitter.next_page()
    recovered = splitter.next_page()
    assert recovered is not None and recovered.data == PAGES[3]


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
