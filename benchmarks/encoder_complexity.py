"""What the bot's Opus encoder costs and how its voice sounds, at each libopus complexity.

Each clip (flite speech, several voices) is encoded as the backend encodes the bot's
voice (`LibopusEncoder`: 24 kHz, 40 ms frames, the "audio" application), decoded again
with libopus, and scored against the original at 16 kHz with PESQ (ITU-T P.862.2,
wideband: 1 to 4.64, higher is better) and STOI (intelligibility, 0 to 1). The encoder's
CPU is the best of three passes over all the clips, per 40 ms frame.

PESQ and STOI are not dependencies of Unmute; install them next to it first:

    .venv/bin/pip install pesq==0.0.4 pystoi==0.4.1   # pesq builds with a C compiler
    .venv/bin/python -m benchmarks.encoder_complexity
"""

from __future__ import annotations

import argparse
import ctypes
import timeit
from collections.abc import Sequence
from typing import Any

import numpy as np
import numpy.typing as npt
import soxr

from backend.audio.libopus import LibopusEncoder, load_libopus
from backend.audio.ogg import ENCODER_FRAME_SAMPLES
from loadtest.clips import SAMPLE_RATE, synthesise_clip

Pcm = npt.NDArray[np.float32]

VOICES = ("slt", "rms", "awb", "kal16")
SENTENCES = (
    "Hello there, I am happy to help you with that question. Let me think about the best "
    "way to explain what is going on here.",
    "The weather tomorrow looks sunny in the morning, with a few clouds and a light "
    "breeze later in the afternoon.",
)
COMPLEXITIES = (10, 8, 7, 6, 5, 4, 3)
SCORING_RATE = 16_000  # wideband PESQ's rate
_MAX_FRAME_SAMPLES = 5760  # 120 ms at 48 kHz: no Opus packet decodes to more


class LibopusDecoder:
    """One libopus decoder at 24 kHz, for the benchmarks (the backend decodes the user's
    voice with sphn, and never decodes its own)."""

    def __init__(self, lib: Any) -> None:
        lib.opus_decoder_create.restype = ctypes.c_void_p
        lib.opus_decoder_create.argtypes = [ctypes.c_int32, ctypes.c_int, ctypes.c_void_p]
        lib.opus_decode_float.restype = ctypes.c_int
        lib.opus_decode_float.argtypes = [
            ctypes.c_void_p,
            ctypes.c_char_p,
            ctypes.c_int32,
            ctypes.c_void_p,
            ctypes.c_int,
            ctypes.c_int,
        ]
        lib.opus_decoder_destroy.argtypes = [ctypes.c_void_p]
        self._lib = lib
        self._handle = lib.opus_decoder_create(SAMPLE_RATE, 1, None)
        self._output = np.zeros(_MAX_FRAME_SAMPLES, dtype=np.float32)

    def decode(self, packet: bytes) -> Pcm:
        samples = self._lib.opus_decode_float(
            self._handle, packet, len(packet), self._output.ctypes.data, _MAX_FRAME_SAMPLES, 0
        )
        if samples < 0:
            raise RuntimeError(f"opus_decode_float failed ({samples})")
        return self._output[:samples].copy()

    def close(self) -> None:
        self._lib.opus_decoder_destroy(self._handle)


def _whole_frames(pcm: Pcm) -> Pcm:
    """`pcm` with silence after it up to a whole frame, and one more frame for the
    encoder's look-ahead to flush."""
    padding = -pcm.size % ENCODER_FRAME_SAMPLES + ENCODER_FRAME_SAMPLES
    return np.concatenate([pcm, np.zeros(padding, dtype=np.float32)])


def round_trip(pcm: Pcm, complexity: int) -> Pcm:
    """`pcm` through the encoder and back, aligned with it (the look-ahead removed)."""
    encoder = LibopusEncoder(SAMPLE_RATE, complexity=complexity)
    decoder = LibopusDecoder(load_libopus())
    padded = _whole_frames(pcm)
    try:
        decoded = [
            decoder.decode(encoder.encode(padded[start : start + ENCODER_FRAME_SAMPLES]))
            for start in range(0, padded.size, ENCODER_FRAME_SAMPLES)
        ]
    finally:
        encoder.close()
        decoder.close()
    return np.concatenate(decoded)[encoder.lookahead :][: pcm.size]


def encode_us_per_frame(clips: Sequence[Pcm], complexity: int) -> float:
    frames = [
        padded[start : start + ENCODER_FRAME_SAMPLES]
        for padded in map(_whole_frames, clips)
        for start in range(0, padded.size, ENCODER_FRAME_SAMPLES)
    ]

    def encode_all() -> None:
        encoder = LibopusEncoder(SAMPLE_RATE, complexity=complexity)
        for frame in frames:
            encoder.encode(frame)
        encoder.close()

    return min(timeit.repeat(encode_all, number=1, repeat=3)) / len(frames) * 1e6


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--complexities", default=",".join(map(str, COMPLEXITIES)))
    args = parser.parse_args()
    try:
        from pesq import pesq
        from pystoi import stoi
    except ImportError:
        raise SystemExit("needs pesq and pystoi: see this module's docstring") from None
    if load_libopus() is None:
        raise SystemExit("needs the system's libopus (Debian: libopus0)")
    clips = [synthesise_clip(text, voice).pcm for voice in VOICES for text in SENTENCES]
    references = [soxr.resample(clip, SAMPLE_RATE, SCORING_RATE) for clip in clips]
    print(f"{len(clips)} clips, {sum(c.size for c in clips) / SAMPLE_RATE:.1f} s of speech")
    print("| complexity | encoder CPU per 40 ms frame (µs) | PESQ-WB mean (worst) | STOI mean |")
    print("|---:|---:|---:|---:|")
    for complexity in map(int, args.complexities.split(",")):
        pesq_scores, stoi_scores = [], []
        for clip, reference in zip(clips, references, strict=True):
            degraded = soxr.resample(round_trip(clip, complexity), SAMPLE_RATE, SCORING_RATE)
            pesq_scores.append(pesq(SCORING_RATE, reference, degraded, "wb"))
            stoi_scores.append(stoi(reference, degraded, SCORING_RATE))
        cost = encode_us_per_frame(clips, complexity)
        print(
            f"| {complexity} | {cost:.0f} | {np.mean(pesq_scores):.2f} "
            f"({min(pesq_scores):.2f}) | {np.mean(stoi_scores):.3f} |"
        )


if __name__ == "__main__":
    main()
