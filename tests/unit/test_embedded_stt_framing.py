"""Re-framing arbitrary chunks into 1920-sample frames."""

from __future__ import annotations

import numpy as np
from hypothesis import given
from hypothesis import strategies as st

from embedded.stt.framing import FrameAssembler


def test_a_chunk_shorter_than_a_frame_waits() -> None:
    assembler = FrameAssembler()
    assert assembler.push(np.ones(1000, dtype=np.float32)) == []
    assert assembler.buffered == 1000
    frames = assembler.push(np.ones(1000, dtype=np.float32))
    assert [len(frame) for frame in frames] == [1920]
    assert assembler.buffered == 80


@given(st.lists(st.integers(min_value=0, max_value=5000), max_size=20))
def test_frames_carry_every_sample_in_order(chunk_sizes: list[int]) -> None:
    total = sum(chunk_sizes)
    samples = np.arange(total, dtype=np.float32)
    assembler = FrameAssembler()
    frames = []
    start = 0
    for size in chunk_sizes:
        frames += assembler.push(samples[start : start + size])
        start += size
    assert all(len(frame) == 1920 for frame in frames)
    assert len(frames) == total // 1920
    assert assembler.buffered == total % 1920
    joined = np.concatenate(frames) if frames else np.zeros(0, dtype=np.float32)
    assert np.array_equal(joined, samples[: len(frames) * 1920])
