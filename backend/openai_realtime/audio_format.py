"""The audio formats of OpenAI's Realtime API, to and from the backend's 24 kHz float PCM.

`audio/pcm` is 16-bit little-endian at 24 kHz. `audio/pcmu` and `audio/pcma` are G.711
μ-law and A-law at 8 kHz (telephony): 8-bit codes, resampled with soxr on the way in and
out. The G.711 codecs are table lookups, built once from the standard's reference formulas.
"""

from __future__ import annotations

from typing import Literal

import numpy as np
import numpy.typing as npt
import soxr

FormatName = Literal["audio/pcm", "audio/pcmu", "audio/pcma"]
SAMPLE_RATE = 24_000
G711_RATE = 8_000

Pcm = npt.NDArray[np.float32]


def _ulaw_decode_table() -> npt.NDArray[np.int16]:
    codes = ~np.arange(256, dtype=np.int32) & 0xFF
    exponent = (codes >> 4) & 0x07
    magnitude = (((codes & 0x0F) << 3) + 0x84) << exponent
    return np.where(codes & 0x80, 0x84 - magnitude, magnitude - 0x84).astype(np.int16)


def _alaw_decode_table() -> npt.NDArray[np.int16]:
    codes = np.arange(256, dtype=np.int32) ^ 0x55
    exponent = (codes >> 4) & 0x07
    mantissa = codes & 0x0F
    magnitude = np.where(
        exponent == 0, (mantissa << 4) + 8, ((mantissa << 4) + 0x108) << np.maximum(exponent - 1, 0)
    )
    return np.where(codes & 0x80, magnitude, -magnitude).astype(np.int16)


_ULAW_SEGMENT_ENDS = np.array([0x3F, 0x7F, 0xFF, 0x1FF, 0x3FF, 0x7FF, 0xFFF, 0x1FFF])
_ALAW_SEGMENT_ENDS = np.array([0x1F, 0x3F, 0x7F, 0xFF, 0x1FF, 0x3FF, 0x7FF, 0xFFF])
_ALL_SAMPLES = np.arange(-32768, 32768, dtype=np.int32)


def _ulaw_encode_table() -> npt.NDArray[np.uint8]:
    value = _ALL_SAMPLES >> 2  # 14-bit, as the standard's reference encoder
    mask = np.where(value < 0, 0x7F, 0xFF)
    value = np.minimum(np.abs(value), 8159) + (0x84 >> 2)
    segment = np.searchsorted(_ULAW_SEGMENT_ENDS, value)
    code = (segment << 4) | ((value >> (segment + 1)) & 0x0F)
    return ((np.where(segment >= 8, 0x7F, code) ^ mask) & 0xFF).astype(np.uint8)


def _alaw_encode_table() -> npt.NDArray[np.uint8]:
    value = _ALL_SAMPLES >> 3  # 13-bit
    mask = np.where(value >= 0, 0xD5, 0x55)
    value = np.where(value >= 0, value, -value - 1)
    segment = np.searchsorted(_ALAW_SEGMENT_ENDS, value)
    shift = np.where(segment < 2, 1, segment)
    code = (segment << 4) | ((value >> shift) & 0x0F)
    return ((np.where(segment >= 8, 0x7F, code) ^ mask) & 0xFF).astype(np.uint8)


_DECODE = {"audio/pcmu": _ulaw_decode_table(), "audio/pcma": _alaw_decode_table()}
_ENCODE = {"audio/pcmu": _ulaw_encode_table(), "audio/pcma": _alaw_encode_table()}


def g711_decode(codes: bytes, name: FormatName) -> npt.NDArray[np.int16]:
    return _DECODE[name][np.frombuffer(codes, dtype=np.uint8)]


def g711_encode(samples: npt.NDArray[np.int16], name: FormatName) -> bytes:
    return _ENCODE[name][samples.astype(np.int32) + 32768].tobytes()


def _to_int16(pcm: Pcm) -> npt.NDArray[np.int16]:
    return (np.clip(pcm, -1.0, 1.0) * 32767.0).astype(np.int16)


class InputAudio:
    """The client's appended audio → 24 kHz float PCM, one stream per connection."""

    def __init__(self, name: FormatName) -> None:
        self.name = name
        self._odd_byte = b""  # PCM16 may be split mid-sample between appends
        self._resampler = (
            None
            if name == "audio/pcm"
            else soxr.ResampleStream(G711_RATE, SAMPLE_RATE, 1, dtype="float32")
        )

    def decode(self, data: bytes) -> Pcm:
        if self._resampler is None:
            data = self._odd_byte + data
            whole = len(data) - len(data) % 2
            self._odd_byte = data[whole:]
            samples = np.frombuffer(data[:whole], dtype="<i2")
            return (samples.astype(np.float32) / 32768.0).astype(np.float32)
        narrow = g711_decode(data, self.name).astype(np.float32) / 32768.0
        out: Pcm = self._resampler.resample_chunk(narrow).astype(np.float32)
        return out


class OutputAudio:
    """The bot's 24 kHz float PCM → the session's output format."""

    def __init__(self, name: FormatName) -> None:
        self.name = name
        self._resampler = (
            None
            if name == "audio/pcm"
            else soxr.ResampleStream(SAMPLE_RATE, G711_RATE, 1, dtype="float32")
        )

    def encode(self, pcm: Pcm, *, last: bool = False) -> bytes:
        """`last`: the end of one response's voice (the resampler's tail comes out)."""
        if self._resampler is None:
            return _to_int16(pcm).astype("<i2").tobytes()
        narrow = self._resampler.resample_chunk(pcm.astype(np.float32), last=last)
        if last:
            self._resampler.clear()  # ready for the next response's voice
        return g711_encode(_to_int16(narrow), self.name)
