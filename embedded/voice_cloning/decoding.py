"""Decode an uploaded clip (WAV, Ogg Opus, and whatever else sphn reads) to mono floats."""

from __future__ import annotations

import io
import struct
import tempfile
import wave

import numpy as np
import numpy.typing as npt
import sphn

FloatArray = npt.NDArray[np.float32]


class UnreadableAudio(ValueError):
    """The bytes are not audio we can decode; the text says why."""


def decode_clip(data: bytes) -> tuple[FloatArray, int]:
    """Mono float32 samples in [-1, 1] and their sample rate."""
    if data[:4] == b"RIFF" and data[8:12] == b"WAVE":
        try:
            return _decode_pcm_wav(data)
        # The wave module reads integer PCM only, and fails in many ways on anything else.
        except (wave.Error, EOFError, ValueError, RuntimeError, struct.error):
            return _decode_with_sphn(data, ".wav")  # float or compressed WAV
    if data[:4] == b"OggS":
        try:
            pcm, sample_rate = sphn.read_opus_bytes(data)
            return _to_mono(np.asarray(pcm)), int(sample_rate)
        except Exception:  # sphn raises plain exceptions; Ogg may hold Vorbis, not Opus
            return _decode_with_sphn(data, ".ogg")
    if data[:4] == b"fLaC":
        return _decode_with_sphn(data, ".flac")
    if data[:3] == b"ID3" or data[:2] in (b"\xff\xfb", b"\xff\xf3", b"\xff\xf2"):
        return _decode_with_sphn(data, ".mp3")
    raise UnreadableAudio("unrecognised format: send WAV, Ogg Opus, FLAC or MP3")


def _decode_pcm_wav(data: bytes) -> tuple[FloatArray, int]:
    with wave.open(io.BytesIO(data), "rb") as reader:
        channels = reader.getnchannels()
        width = reader.getsampwidth()
        sample_rate = reader.getframerate()
        raw = reader.readframes(reader.getnframes())
    if width == 1:  # 8-bit WAV is unsigned
        samples = (np.frombuffer(raw, np.uint8).astype(np.float32) - 128) / 128
    elif width == 2:
        samples = np.frombuffer(raw, "<i2").astype(np.float32) / 2**15
    elif width == 3:
        triplets = np.frombuffer(raw, np.uint8).reshape(-1, 3).astype(np.int32)
        packed = triplets[:, 0] | (triplets[:, 1] << 8) | (triplets[:, 2] << 16)
        samples = (np.where(packed >= 2**23, packed - 2**24, packed) / 2**23).astype(np.float32)
    elif width == 4:
        samples = (np.frombuffer(raw, "<i4") / 2**31).astype(np.float32)
    else:
        raise UnreadableAudio(f"unsupported WAV sample width {width}")
    usable = len(samples) - len(samples) % channels
    return _to_mono(samples[:usable].reshape(-1, channels).T), sample_rate


def _decode_with_sphn(data: bytes, suffix: str) -> tuple[FloatArray, int]:
    # sphn's general reader takes a path, not bytes.
    with tempfile.NamedTemporaryFile(suffix=suffix) as file:
        file.write(data)
        file.flush()
        try:
            pcm, sample_rate = sphn.read(file.name)
        except Exception as error:  # sphn raises plain exceptions with the decoder's message
            reason = str(error).replace(file.name, "clip")
            raise UnreadableAudio(f"cannot decode {suffix[1:]} audio: {reason}") from None
    return _to_mono(np.asarray(pcm)), int(sample_rate)


def _to_mono(pcm: npt.NDArray[np.floating]) -> FloatArray:
    """(channels, samples) or (samples,) to one channel."""
    mono = pcm.mean(axis=0) if pcm.ndim == 2 else pcm
    clean: FloatArray = np.clip(np.nan_to_num(mono), -1.0, 1.0).astype(np.float32)
    return clean
