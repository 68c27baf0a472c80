"""`Audio` frames packed and parsed with numpy are the very bytes msgpack makes."""

from __future__ import annotations

import msgpack
import numpy as np
import pytest

from backend.speech_protocol.audio_frames import pack_audio_frame, parse_audio_frame


def reference(samples: list[float], single_float: bool = True) -> bytes:
    packed: bytes = msgpack.packb(
        {"type": "Audio", "pcm": samples}, use_bin_type=True, use_single_float=single_float
    )
    return packed


@pytest.mark.parametrize("length", [0, 1, 15, 16, 960, 1920, 65_535, 65_536])
def test_packing_matches_msgpack_byte_for_byte(length: int) -> None:
    pcm = np.random.default_rng(length).uniform(-1, 1, length).astype(np.float32)
    assert pack_audio_frame(pcm) == reference(pcm.tolist())


def test_special_values_and_other_dtypes_pack_like_msgpack() -> None:
    pcm = np.array([0.0, -0.0, 1.0, -1.0, np.inf, -np.inf, 1e-40], dtype=np.float32)
    assert pack_audio_frame(pcm) == reference(pcm.tolist())
    as_float64 = np.array([0.1, 0.2], dtype=np.float64)
    assert pack_audio_frame(as_float64) == reference(as_float64.astype(np.float32).tolist())
    nan = parse_audio_frame(pack_audio_frame(np.array([np.nan], dtype=np.float32)))
    assert nan is not None and np.isnan(nan[0])


@pytest.mark.parametrize("length", [0, 7, 1920, 70_000])
def test_parsing_returns_the_samples_msgpack_would(length: int) -> None:
    pcm = np.random.default_rng(length).uniform(-1, 1, length).astype(np.float32)
    parsed = parse_audio_frame(reference(pcm.tolist()))
    assert parsed is not None and parsed.dtype == np.float32
    np.testing.assert_array_equal(parsed, pcm)
    assert parsed.flags.writeable and parsed.flags.c_contiguous


@pytest.mark.parametrize(
    "frame",
    [
        reference([0.5, 0.25], single_float=False),  # float64 samples
        reference([0.5, 1]),  # an integer among the samples
        reference([0.5, 2**31]),  # a uint32: as many bytes as a float32, another marker
        msgpack.packb({"pcm": [0.5], "type": "Audio"}, use_single_float=True),  # key order
        msgpack.packb({"type": "Audio", "pcm": [0.5], "x": 1}, use_single_float=True),
        reference([0.5, 0.25]) + b"\x00",  # trailing bytes
        reference([0.5, 0.25])[:-1],  # truncated
        msgpack.packb({"type": "Step", "step_idx": 1}),
        b"",
        "text",
    ],
)
def test_anything_else_is_left_to_msgpack(frame: bytes | str) -> None:
    assert parse_audio_frame(frame) is None
