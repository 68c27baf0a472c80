"""Opus packets encoded once, muxed into each simulated microphone's own Ogg stream.

A browser encodes its microphone as it goes. A load generator that did the same would
spend most of its CPU in the Opus encoder (about 2 % of a core per speaking client) and
become the bottleneck it is meant to measure. So every clip, and a frame of silence, is
encoded once with the backend's `OpusOutputEncoder`; each connection then wraps those
packets in pages of its own continuous Ogg stream (own serial number, sequence numbers
and granule positions), which costs a header and a checksum per page.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
import sphn

from backend.audio.ogg import ENCODER_FRAME_SAMPLES, SAMPLE_RATE, OggPageSplitter, OpusOutputEncoder
from backend.audio.ogg_writer import OggOpusWriter

PACKET_SAMPLES = ENCODER_FRAME_SAMPLES
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


def stream_writer(headers: OpusHeaders, serial: int) -> OggOpusWriter:
    """A fresh Ogg stream for these packets: each connection has its own."""
    return OggOpusWriter(headers.opus_head, headers.opus_tags, serial, SAMPLE_RATE)


def _decode(headers: OpusHeaders, packets: list[bytes]) -> Pcm:
    writer = stream_writer(headers, serial=1)
    pages = [writer.page(packet, PACKET_SAMPLES) for packet in packets]
    stream = writer.header_pages() + b"".join(pages)
    return np.asarray(sphn.OpusStreamReader(SAMPLE_RATE).append_bytes(stream), dtype=np.float32)
