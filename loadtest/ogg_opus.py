"""Opus packets encoded once, muxed into each simulated microphone's own Ogg stream.

A browser encodes its microphone as it goes. A load generator that did the same would
spend most of its CPU in the Opus encoder (about 2 % of a core per speaking client) and
become the bottleneck it is meant to measure. So every clip, and a frame of silence, is
encoded once with the backend's `OpusOutputEncoder`; each connection then wraps those
packets in pages of its own continuous Ogg stream (own serial number, sequence numbers
and granule positions), which costs a header and a checksum per page.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
import sphn

from backend.audio.ogg import ENCODER_FRAME_SAMPLES, SAMPLE_RATE, OggPageSplitter, OpusOutputEncoder
from backend.audio.ogg_pages import FLAG_BOS, FLAG_CONTINUED, ogg_crc

PACKET_SAMPLES = ENCODER_FRAME_SAMPLES
# Ogg Opus counts granule positions at 48 kHz whatever the input rate (RFC 7845 §4).
_GRANULE_PER_SAMPLE = 48_000 // SAMPLE_RATE
_PAGE_HEADER = struct.Struct("<4sBBqIIIB")
_MAX_LACING = 255
# Encoded after a clip so the encoder's look-ahead delivers the clip's last samples.
_FLUSH_TAIL_S = 0.1
# Silence encoded before the packet we keep, so it is a steady-state silent frame.
_SILENCE_WARMUP_S = 0.4
# A sample this loud counts as speech when locating a clip inside its packets.
_SPEECH_LEVEL = 0.01

Pcm = npt.NDArray[np.float32]


@dataclass(frozen=True)
class EncodedClip:
    """A clip as Opus packets of `PACKET_SAMPLES` each, and where its speech lies in the
    decoded packets (sample offsets from the first packet's start)."""

    text: str
    packets: tuple[bytes, ...]
    speech_start_sample: int
    speech_end_sample: int

    @property
    def samples(self) -> int:
        return len(self.packets) * PACKET_SAMPLES


@dataclass(frozen=True)
class OpusHeaders:
    """The bodies of the two header packets every Ogg Opus stream starts with."""

    opus_head: bytes
    opus_tags: bytes


def _encode_packets(pcm: Pcm) -> tuple[OpusHeaders, list[bytes]]:
    """Encode `pcm` (whole packets only) and return the stream's headers and packets."""
    encoder = OpusOutputEncoder()
    stream = encoder.encode(pcm) + encoder.flush()
    packets = packets_of(stream)
    if len(packets) < 2:
        raise ValueError("the encoder produced no Opus headers")
    return OpusHeaders(opus_head=packets[0], opus_tags=packets[1]), packets[2:]


def packets_of(stream: bytes) -> list[bytes]:
    """Every packet of an Ogg stream, in order (packets may span pages)."""
    splitter = OggPageSplitter(max_pending_bytes=max(len(stream), 1 << 16))
    splitter.feed(stream)
    packets: list[bytes] = []
    partial = b""
    while (page := splitter.next_page()) is not None:
        body, offset = page.body, 0
        for lacing in page.segment_table:
            partial += body[offset : offset + lacing]
            offset += lacing
            if lacing < _MAX_LACING:
                packets.append(partial)
                partial = b""
    return packets


def encode_clip(text: str, pcm: Pcm) -> EncodedClip:
    """Encode a clip once; speech positions come from decoding the packets themselves,
    so they include the codec's delay."""
    tail = np.zeros(int(_FLUSH_TAIL_S * SAMPLE_RATE), dtype=np.float32)
    headers, packets = _encode_packets(np.concatenate([pcm.astype(np.float32), tail]))
    decoded = _decode(headers, packets)
    loud = np.flatnonzero(np.abs(decoded) > _SPEECH_LEVEL)
    if loud.size == 0:
        raise ValueError(f"the clip {text!r} holds no audible speech")
    return EncodedClip(
        text=text,
        packets=tuple(packets),
        speech_start_sample=int(loud[0]),
        speech_end_sample=int(loud[-1]) + 1,
    )


def encode_silence() -> tuple[OpusHeaders, bytes]:
    """The stream headers and one packet of steady-state digital silence."""
    headers, packets = _encode_packets(
        np.zeros(int(_SILENCE_WARMUP_S * SAMPLE_RATE), dtype=np.float32)
    )
    return headers, packets[-1]


def _decode(headers: OpusHeaders, packets: list[bytes]) -> Pcm:
    muxer = OggOpusMuxer(headers, serial=1)
    stream = muxer.header_pages() + b"".join(muxer.page(packet) for packet in packets)
    return np.asarray(sphn.OpusStreamReader(SAMPLE_RATE).append_bytes(stream), dtype=np.float32)


class OggOpusMuxer:
    """One continuous Ogg Opus stream: header pages first, then one page per packet."""

    def __init__(self, headers: OpusHeaders, serial: int) -> None:
        self._headers = headers
        self._serial = serial & 0xFFFFFFFF
        self._sequence = 0
        self._granule = 0

    def header_pages(self) -> bytes:
        """OpusHead on the beginning-of-stream page, then OpusTags."""
        return self._page(self._headers.opus_head, FLAG_BOS, 0) + self._page(
            self._headers.opus_tags, 0, 0
        )

    def page(self, packet: bytes, samples: int = PACKET_SAMPLES) -> bytes:
        """A page carrying one audio packet of `samples` samples (at 24 kHz)."""
        self._granule += samples * _GRANULE_PER_SAMPLE
        return self._page(packet, 0, self._granule)

    def _page(self, packet: bytes, flags: int, granule: int) -> bytes:
        full, rest = divmod(len(packet), _MAX_LACING)
        lacing = bytes([_MAX_LACING] * full + [rest])
        if len(lacing) > _MAX_LACING:
            raise ValueError("a packet this large needs several pages")
        header = _PAGE_HEADER.pack(
            b"OggS",
            0,
            flags & ~FLAG_CONTINUED,
            granule,
            self._serial,
            self._sequence,
            0,
            len(lacing),
        )
        self._sequence += 1
        page = header + lacing + packet
        return page[:22] + ogg_crc(page).to_bytes(4, "little") + page[26:]
