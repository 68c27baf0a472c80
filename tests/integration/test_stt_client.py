"""The STT client against the scripted STT server, over real sockets on 127.0.0.1."""

from __future__ import annotations

import asyncio

import numpy as np
import numpy.typing as npt
import pytest

from backend.clients.speech_errors import (
    ServiceUnavailable,
    SpeechAuthError,
    SpeechStreamError,
    UnavailableReason,
)
from backend.clients.stt import (
    SttEndWord,
    SttMarker,
    SttMessage,
    SttStep,
    SttStream,
    SttWord,
    open_stt_stream,
)
from tests.doubles.stt_double import SttDouble

pytestmark = pytest.mark.integration

KEY = "public_token"
SAMPLE_RATE = 24_000
FRAME = 1920
FRAME_S = FRAME / SAMPLE_RATE


def voice(seconds: float) -> npt.NDArray[np.float32]:
    times = np.arange(round(seconds * SAMPLE_RATE)) / SAMPLE_RATE
    return (0.3 * np.sin(2 * np.pi * 180 * times)).astype(np.float32)


def silence(seconds: float) -> npt.NDArray[np.float32]:
    return np.zeros(round(seconds * SAMPLE_RATE), dtype=np.float32)


def send_in_chunks(stream: SttStream, pcm: npt.NDArray[np.float32], chunk: int = 480) -> None:
    """Like the backend: small pieces (20 ms Opus packets), not whole frames."""
    for start in range(0, pcm.size, chunk):
        stream.send_audio(pcm[start : start + chunk])


def summary(message: SttMessage) -> tuple[str | float, ...]:
    """A word or word end, times rounded to the millisecond, for readable asserts."""
    if isinstance(message, SttWord):
        return ("word", message.text, round(message.start_time, 3))
    if isinstance(message, SttEndWord):
        return ("end", round(message.stop_time, 3))
    return (type(message).__name__,)


async def receive_until(
    stream: SttStream, done: type[SttMessage], count: int = 1
) -> list[SttMessage]:
    """Everything received until the `count`-th message of type `done`."""
    received: list[SttMessage] = []
    async with asyncio.timeout(10):
        async for message in stream:
            received.append(message)
            if sum(isinstance(m, done) for m in received) == count:
                return received
    raise AssertionError(f"the stream ended after {received!r}")


async def test_one_step_per_frame_in_order() -> None:
    async with SttDouble() as stt:
        async with await open_stt_stream(stt.url, KEY) as stream:
            send_in_chunks(stream, silence(1.0))  # 12.5 frames: 12 are processed
            received = await receive_until(stream, SttStep, count=12)

        steps = [m for m in received if isinstance(m, SttStep)]
        assert [s.step_idx for s in steps] == list(range(12))
        assert all(len(s.prs) == 4 for s in steps)
        assert all(p > 0.9 for s in steps for p in s.prs)  # silence: surely a pause
        assert all(0 <= s.buffered_pcm < FRAME for s in steps)  # never a whole frame
        assert stt.streams_opened == 1
        assert stt.audio_samples_received == round(1.0 * SAMPLE_RATE)


async def test_words_lag_the_audio_and_a_flush_brings_out_the_last_ones() -> None:
    async with SttDouble([["hello", "world"]]) as stt:
        async with await open_stt_stream(stt.url, KEY) as stream:
            send_in_chunks(stream, voice(0.96))
            send_in_chunks(stream, silence(0.48))
            # "world" (spoken at 0.3 s) is out at 0.8 s; its end (0.96 s) would need
            # audio up to 1.46 s: only the flush brings it out.
            received = await receive_until(stream, SttStep, count=18)
            assert [summary(m) for m in received if not isinstance(m, SttStep)] == [
                ("word", "hello", 0.0),
                ("end", 0.3),
                ("word", "world", 0.3),
            ]
            send_in_chunks(stream, silence(0.5 + FRAME_S))
            flushed = await receive_until(stream, SttEndWord)

        assert summary(flushed[-1]) == ("end", 0.96)
        steps = [m for m in received if isinstance(m, SttStep)]
        assert all(s.prs[2] < 0.1 for s in steps[:12])  # voiced
        assert steps[-1].prs[2] > steps[12].prs[2] > 0.1  # rising after the voice stopped
        assert stt.words_sent == ["hello", "world"]


async def test_markers_come_back_once_the_audio_before_them_is_processed() -> None:
    async with SttDouble() as stt, await open_stt_stream(stt.url, KEY) as stream:
        stream.send_audio(silence(0.2))
        stream.send_marker(1)
        stream.send_audio(silence(0.1))  # 0.3 s: frames 0-2 (up to 0.24 s) done
        stream.send_marker(2)
        first = await receive_until(stream, SttMarker)
        stream.send_audio(silence(0.1))  # 0.4 s: frame 3 (up to 0.32 s) done
        second = await receive_until(stream, SttMarker)

    step_before_first = first[-2]
    assert isinstance(step_before_first, SttStep) and step_before_first.step_idx == 2
    assert first[-1] == SttMarker(1)
    step_before_second = second[-2]
    assert isinstance(step_before_second, SttStep) and step_before_second.step_idx == 3
    assert second[-1] == SttMarker(2)
    assert stt.markers_received == [1, 2]


async def test_unknown_message_types_are_skipped() -> None:
    async with (
        SttDouble(after_ready=[{"type": "FutureThing", "x": 1}]) as stt,
        await open_stt_stream(stt.url, KEY) as stream,
    ):
        stream.send_audio(silence(FRAME_S))
        received = await receive_until(stream, SttStep)
    assert len(received) == 1
    assert isinstance(received[0], SttStep) and received[0].step_idx == 0


async def test_a_server_error_mid_stream_is_raised() -> None:
    after_ready = [{"type": "Error", "message": "model crashed"}]
    async with (
        SttDouble(after_ready=after_ready) as stt,
        await open_stt_stream(stt.url, KEY) as stream,
    ):
        with pytest.raises(SpeechStreamError, match="model crashed"):
            await receive_until(stream, SttStep)


async def test_a_node_dying_mid_stream_is_raised() -> None:
    async with (
        SttDouble(abort_after_s=0.2) as stt,
        await open_stt_stream(stt.url, KEY) as stream,
    ):
        send_in_chunks(stream, silence(0.4))
        with pytest.raises(SpeechStreamError, match="connection lost"):
            await receive_until(stream, SttStep, count=100)


async def test_a_hung_node_fails_the_stream_instead_of_blocking_the_sender() -> None:
    async with SttDouble(stall_after_s=0.1) as stt:
        async with await open_stt_stream(stt.url, KEY) as stream:
            chunk = voice(FRAME_S)
            with pytest.raises(SpeechStreamError, match="stopped reading"):
                for _ in range(50_000):  # ~67 min of audio: far beyond any buffer
                    stream.send_audio(chunk)
                    await asyncio.sleep(0)  # let the sender push into the socket
        assert stt.stalled


async def test_a_wrong_api_key_is_an_auth_error() -> None:
    async with SttDouble(api_key="secret") as stt:
        with pytest.raises(SpeechAuthError, match="401"):
            await open_stt_stream(stt.url, "wrong")
        assert stt.auth_refusals == 1
        assert stt.streams_opened == 0


async def test_a_full_node_is_reported_busy() -> None:
    async with SttDouble(slots=1) as stt:
        async with await open_stt_stream(stt.url, KEY):
            with pytest.raises(ServiceUnavailable) as refused:
                await open_stt_stream(stt.url, KEY)
        assert refused.value.reason is UnavailableReason.ALL_BUSY
        assert refused.value.service == "stt"
        assert stt.streams_refused_busy == 1
        # The slot is given back when the stream closes.
        async with await open_stt_stream(stt.url, KEY):
            assert stt.streams_opened == 2


async def test_send_audio_rejects_non_mono_pcm() -> None:
    async with SttDouble() as stt, await open_stt_stream(stt.url, KEY) as stream:
        with pytest.raises(ValueError, match="mono"):
            stream.send_audio(np.zeros((2, 100), dtype=np.float32))
