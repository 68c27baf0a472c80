"""Ogg at the browser edge: the page CRC, and splitting the user's bytes into pages."""

from __future__ import annotations

import struct

import pytest
from hypothesis import given
from hypothesis import strategies as st

from backend.audio.ogg import MAX_PAGE_BYTES, OggFormatError, OggPageSplitter
from backend.audio.ogg_pages import FLAG_EOS, ogg_crc
from tests.unit.ogg_streams import PAGES, PROPERTY_SETTINGS, raw_page, with_header_type


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
