"""Ogg page framing (RFC 3533): turn a byte stream cut at arbitrary points into checked pages.

The browser sends its microphone as Ogg pages, base64-encoded, in chunks that need not
line up with page boundaries. `OggPageSplitter` buffers a partial page between chunks,
checks each page (capture pattern, version, segment table, CRC) and, when it meets bytes
that are not a page, skips to the next capture pattern so the stream can carry on.

Parsing reads the fixed header with `struct` and checks the CRC with `zlib`, so a page
costs a handful of C calls whatever its size: this runs for every 20 ms of every user.
"""

from __future__ import annotations

import struct
import zlib
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

CAPTURE_PATTERN = b"OggS"
# capture pattern, version, header type, granule position, serial, sequence, CRC, segments.
_HEADER = struct.Struct("<4sBBqIIIB")
HEADER_BYTES = _HEADER.size
_CRC_OFFSET = 22
_CRC_END = _CRC_OFFSET + 4
# The largest page RFC 3533 allows: full header, 255 lacing values of 255 bytes each.
MAX_PAGE_BYTES = HEADER_BYTES + 255 + 255 * 255

FLAG_CONTINUED = 0x01
FLAG_BOS = 0x02
FLAG_EOS = 0x04

# Ogg's CRC-32 is the unreflected form of zlib's polynomial with no initial or final XOR;
# reversing the bits of every byte (and of the result) turns one into the other.
_BIT_REVERSED_BYTES = bytes(int(f"{value:08b}"[::-1], 2) for value in range(256))
_ZLIB_ZERO_INIT = 0xFFFFFFFF


def _empty_pcm() -> NDArray[np.float32]:
    return np.zeros(0, dtype=np.float32)


class OggFormatError(ValueError):
    """Audio bytes that do not form a valid Ogg Opus stream; the message can be shown as is.

    `decoded` holds the PCM that `OpusInputDecoder.feed` got from the valid pages that
    came in the same chunk as the bad bytes, so that audio is not lost; it is empty
    everywhere else.
    """

    def __init__(self, message: str, *, decoded: NDArray[np.float32] | None = None) -> None:
        super().__init__(message)
        self.decoded = decoded if decoded is not None else _empty_pcm()


class _NotAPage(Exception):
    """The bytes at the read position are not the start of a valid page."""


def ogg_crc(page: bytes) -> int:
    """The CRC-32 an Ogg page header must carry (computed with the CRC field as zeros)."""
    mirrored = page.translate(_BIT_REVERSED_BYTES)
    crc = zlib.crc32(mirrored[:_CRC_OFFSET], _ZLIB_ZERO_INIT)
    crc = zlib.crc32(b"\0\0\0\0", crc)
    crc = zlib.crc32(memoryview(mirrored)[_CRC_END:], crc) ^ _ZLIB_ZERO_INIT
    # Reversing the 32 bits: each byte's bits through the table, and the byte order.
    return int.from_bytes(crc.to_bytes(4, "little").translate(_BIT_REVERSED_BYTES))


@dataclass(frozen=True, slots=True)
class OggPage:
    """One complete, checked Ogg page."""

    data: bytes
    """The whole page, header included, exactly as received."""
    header_type: int
    granule_position: int
    """-1 when no packet ends on this page."""
    serial: int
    sequence: int

    @property
    def is_bos(self) -> bool:
        """First page of a logical stream (for Opus: the one holding OpusHead)."""
        return bool(self.header_type & FLAG_BOS)

    @property
    def is_eos(self) -> bool:
        """Last page of a logical stream."""
        return bool(self.header_type & FLAG_EOS)

    @property
    def is_continued(self) -> bool:
        """The first packet on this page began on the previous page."""
        return bool(self.header_type & FLAG_CONTINUED)

    @property
    def segment_table(self) -> bytes:
        """The lacing values: packet lengths in chunks of 255 bytes."""
        return self.data[HEADER_BYTES : HEADER_BYTES + self.data[HEADER_BYTES - 1]]

    @property
    def body(self) -> bytes:
        return self.data[HEADER_BYTES + self.data[HEADER_BYTES - 1] :]


class OggPageSplitter:
    """Incremental page splitter: `feed` bytes, then take pages with `next_page`.

    Nothing is lost across chunk boundaries. Bytes that are not a page make `next_page`
    raise `OggFormatError` (once per run of such bytes) after skipping them up to the next
    capture pattern, so calling `next_page` again continues with whatever follows.
    """

    def __init__(self, max_pending_bytes: int = MAX_PAGE_BYTES) -> None:
        if max_pending_bytes < MAX_PAGE_BYTES:
            raise ValueError(f"max_pending_bytes must allow one full page ({MAX_PAGE_BYTES})")
        self._max_pending_bytes = max_pending_bytes
        self._buffer = bytearray()
        self._start = 0
        self._resynchronising = False

    @property
    def pending_bytes(self) -> int:
        """Bytes received but not yet returned as a page (or skipped)."""
        return len(self._buffer) - self._start

    def feed(self, data: bytes) -> None:
        """Buffer more of the stream.

        Refuses (and drops) a chunk that would leave more unread bytes than
        `max_pending_bytes`, by default the largest possible page: a client sends a page
        or two per message, so more is a broken or hostile client, and the cap bounds both
        the memory a connection holds and the decoding work one message can cause.
        """
        if self._start:
            del self._buffer[: self._start]
            self._start = 0
        if len(self._buffer) + len(data) > self._max_pending_bytes:
            raise OggFormatError(
                f"Received an audio chunk of {len(data)} bytes, more than the "
                f"{self._max_pending_bytes} bytes a chunk may carry; it was dropped."
            )
        self._buffer += data

    def next_page(self) -> OggPage | None:
        """The next complete page, or None until more bytes arrive."""
        while True:
            try:
                page = self._read_page()
            except _NotAPage as garbage:
                self._skip_to_capture_pattern(self._start + 1)
                # One error per run of garbage, however many false starts it holds.
                if self._resynchronising:
                    continue
                self._resynchronising = True
                raise OggFormatError(str(garbage)) from None
            if page is not None:
                self._resynchronising = False
            return page

    def _read_page(self) -> OggPage | None:
        buffer, start = self._buffer, self._start
        if len(buffer) - start < HEADER_BYTES:
            if not CAPTURE_PATTERN.startswith(buffer[start : start + len(CAPTURE_PATTERN)]):
                raise _NotAPage("Received audio bytes that are not an Ogg page.")
            return None
        capture, version, header_type, granule, serial, sequence, crc, segments = (
            _HEADER.unpack_from(buffer, start)
        )
        if capture != CAPTURE_PATTERN:
            raise _NotAPage("Received audio bytes that are not an Ogg page.")
        if version != 0:
            raise _NotAPage(f"Received an Ogg page of unknown version {version}.")
        body_start = start + HEADER_BYTES + segments
        if len(buffer) < body_start:
            return None
        # sum() over a bytearray slice runs in C; at most 255 lacing values.
        page_end = body_start + sum(buffer[start + HEADER_BYTES : body_start])
        if len(buffer) < page_end:
            return None
        data = bytes(buffer[start:page_end])
        if ogg_crc(data) != crc:
            raise _NotAPage("Received a damaged Ogg page (checksum mismatch).")
        self._start = page_end
        return OggPage(data, header_type, granule, serial, sequence)

    def _skip_to_capture_pattern(self, search_from: int) -> None:
        """Drop bytes up to the next `OggS`, keeping a tail that may be its beginning."""
        found = self._buffer.find(CAPTURE_PATTERN, search_from)
        if found >= 0:
            self._start = found
            return
        end = len(self._buffer)
        keep_from = end
        for tail in range(min(len(CAPTURE_PATTERN) - 1, end - search_from), 0, -1):
            if CAPTURE_PATTERN.startswith(self._buffer[end - tail :]):
                keep_from = end - tail
                break
        self._start = keep_from
