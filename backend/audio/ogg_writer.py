"""Writing ONE continuous Ogg Opus stream (RFC 7845) from Opus packets.

The stream starts with a beginning-of-stream page holding `OpusHead`, then a page
holding `OpusTags`; every later page carries one audio packet, its granule position
counting 48 kHz samples whatever the input rate. A page costs a header and a checksum.
"""

from __future__ import annotations

import struct

from backend.audio.ogg_pages import FLAG_BOS, ogg_crc

OPUS_GRANULE_RATE = 48_000  # granule positions and pre-skip always count 48 kHz samples
_PAGE_HEADER = struct.Struct("<4sBBqIIIB")
_CRC_OFFSET = 22
_MAX_LACING = 255
_OPUS_HEAD = struct.Struct("<8sBBHIhB")  # magic, version, channels, pre-skip, rate, gain, map


def opus_head(*, input_sample_rate: int, pre_skip: int, channels: int = 1) -> bytes:
    """The identification header; `pre_skip` in 48 kHz samples (the encoder's look-ahead)."""
    return _OPUS_HEAD.pack(b"OpusHead", 1, channels, pre_skip, input_sample_rate, 0, 0)


def opus_tags(vendor: str) -> bytes:
    """The comment header: a vendor string and no user comments."""
    encoded = vendor.encode()
    return b"OpusTags" + struct.pack("<I", len(encoded)) + encoded + struct.pack("<I", 0)


class OggOpusWriter:
    """Pages of one logical stream: `header_pages()` once, then `page()` per packet."""

    def __init__(self, head: bytes, tags: bytes, serial: int, sample_rate: int) -> None:
        if OPUS_GRANULE_RATE % sample_rate:
            raise ValueError(f"unsupported Opus input rate {sample_rate}")
        self._head = head
        self._tags = tags
        self._serial = serial & 0xFFFFFFFF
        self._granule_per_sample = OPUS_GRANULE_RATE // sample_rate
        self._sequence = 0
        self._granule = 0

    def header_pages(self) -> bytes:
        """OpusHead on the beginning-of-stream page, then OpusTags."""
        return self._page(self._head, FLAG_BOS, 0) + self._page(self._tags, 0, 0)

    def page(self, packet: bytes, samples: int) -> bytes:
        """A page carrying one audio packet of `samples` samples (at the input rate)."""
        self._granule += samples * self._granule_per_sample
        return self._page(packet, 0, self._granule)

    def _page(self, packet: bytes, flags: int, granule: int) -> bytes:
        full, rest = divmod(len(packet), _MAX_LACING)
        if full + 1 > _MAX_LACING:
            raise ValueError("a packet this large needs several pages")
        lacing = bytes([_MAX_LACING] * full + [rest])
        header = _PAGE_HEADER.pack(
            b"OggS", 0, flags, granule, self._serial, self._sequence, 0, len(lacing)
        )
        self._sequence += 1
        page = header + lacing + packet
        checksum = ogg_crc(page).to_bytes(4, "little")
        return page[:_CRC_OFFSET] + checksum + page[_CRC_OFFSET + 4 :]
