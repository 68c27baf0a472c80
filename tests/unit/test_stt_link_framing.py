"""The STT link hands the STT whole 80 ms frames, whatever size the browser's pages are."""

from __future__ import annotations

from typing import Any, cast

import numpy as np

from backend.clients.instances import TryInTurn
from backend.clients.speech_errors import SpeechStreamError
from backend.clients.stt import SttStream
from backend.metrics import BackendMetrics
from backend.stt_link import FRAME_SAMPLES, SttLink


class RecordingStream:
    """Keeps what it is sent; fails every send once `broken` is set."""

    instance = "ws://stt-1"

    def __init__(self) -> None:
        self.sent: list[np.ndarray[Any, np.dtype[np.float32]]] = []
        self.broken = False
        self.closed = False

    def send_audio(self, pcm: np.ndarray[Any, np.dtype[np.float32]]) -> None:
        if self.broken:
            raise SpeechStreamError("stt", "the server stopped reading")
        self.sent.append(pcm.copy())

    async def aclose(self) -> None:
        self.closed = True


async def open_link(stream: RecordingStream) -> SttLink:
    async def open_stream() -> SttStream:
        return cast(SttStream, stream)

    link = SttLink(
        open_stream,
        nodes=TryInTurn(),
        metrics=BackendMetrics(),
        on_step=lambda step, pause: None,
        on_word=lambda text, start: None,
        on_restart=lambda detail: None,
    )
    await link.open()
    return link


def page(index: int, samples: int = 480) -> np.ndarray[Any, np.dtype[np.float32]]:
    """20 ms of audio whose samples say which page they came from."""
    return np.full(samples, index, dtype=np.float32)


async def test_pages_are_sent_as_whole_frames_in_order() -> None:
    stream = RecordingStream()
    link = await open_link(stream)
    pages = [page(i) for i in range(10)]  # 200 ms: two whole frames and 40 ms over
    for pcm in pages:
        link.send_audio(pcm)
    assert [chunk.size for chunk in stream.sent] == [FRAME_SAMPLES, FRAME_SAMPLES]
    np.testing.assert_array_equal(np.concatenate(stream.sent), np.concatenate(pages)[:3840])


async def test_a_flush_larger_than_a_frame_goes_out_at_once_with_what_waited() -> None:
    stream = RecordingStream()
    link = await open_link(stream)
    link.send_audio(page(1))
    link.send_silence(5 * FRAME_SAMPLES)
    assert sum(chunk.size for chunk in stream.sent) == 5 * FRAME_SAMPLES
    assert stream.sent[0][0] == 1  # the user's last 20 ms come first
    link.send_audio(page(2, samples=FRAME_SAMPLES - 480))  # completes the sixth frame
    assert sum(chunk.size for chunk in stream.sent) == 6 * FRAME_SAMPLES


async def test_audio_waiting_for_a_frame_is_dropped_with_a_broken_stream() -> None:
    stream = RecordingStream()
    link = await open_link(stream)
    link.send_audio(page(1, samples=FRAME_SAMPLES + 480))
    stream.broken = True
    link.send_audio(page(2, samples=FRAME_SAMPLES))
    await link.aclose()
    assert [chunk.size for chunk in stream.sent] == [FRAME_SAMPLES]
    link.send_audio(page(3, samples=FRAME_SAMPLES))  # between streams: lost, not queued
    assert len(stream.sent) == 1
