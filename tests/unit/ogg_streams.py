"""Ogg Opus for the tests of the browser edge: encoded sines, their pages, hand-built pages
with valid CRCs, and decoding that counts the errors it met."""

from __future__ import annotations

import struct
from collections.abc import Iterable

import numpy as np
from hypothesis import HealthCheck, settings
from numpy.typing import NDArray

from backend.audio.ogg import (
    MAX_PAGE_BYTES,
    SAMPLE_RATE,
    OggFormatError,
    OggPageSplitter,
    OpusInputDecoder,
    OpusOutputEncoder,
)
from backend.audio.ogg_pages import ogg_crc

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
