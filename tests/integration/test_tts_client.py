"""The TTS client against the scripted TTS server, over real sockets on 127.0.0.1."""

from __future__ import annotations

import asyncio

import msgpack
import numpy as np
import pytest

from backend.clients.speech_errors import (
    ServiceUnavailable,
    SpeechAuthError,
    SpeechStreamError,
    UnavailableReason,
)
from backend.clients.tts import TtsAudio, TtsMessage, TtsStream, TtsWordTiming, open_tts_stream
from tests.doubles.tts_double import TtsDouble

pytestmark = pytest.mark.integration

KEY = "public_token"
FRAME = 1920


async def receive_all(stream: TtsStream) -> list[TtsMessage]:
    received: list[TtsMessage] = []
    async with asyncio.timeout(10):
        async for message in stream:
            received.append(message)
    return received


def timings(received: list[TtsMessage]) -> list[tuple[str, float, float]]:
    return [
        (m.text, round(m.start_s, 3), round(m.stop_s, 3))
        for m in received
        if isinstance(m, TtsWordTiming)
    ]


async def test_words_become_audio_and_timings_then_the_stream_ends() -> None:
    async with TtsDouble(word_duration_s=0.25) as tts:
        async with await open_tts_stream(
            tts.url, KEY, voice="unmute-prod-website/p329_022.wav", voice_embedding=None
        ) as stream:
            stream.send_word("Hello")
            stream.send_word(" world ")
            stream.send_word("   ")  # blank: never sent
            stream.send_eos()
            received = await receive_all(stream)

        audio = [m.pcm for m in received if isinstance(m, TtsAudio)]
        assert all(pcm.dtype == np.float32 and pcm.shape == (FRAME,) for pcm in audio)
        assert len(audio) == 7  # 0.5 s of speech, the last frame padded
        assert np.sqrt(np.mean(np.square(np.concatenate(audio)))) > 0.1
        # The server's empty-text message is not passed on.
        assert timings(received) == [("Hello", 0.0, 0.25), ("world", 0.25, 0.5)]
        assert tts.voices == ["unmute-prod-website/p329_022.wav"]
        assert tts.formats == ["PcmMessagePack"]
        assert tts.words_received == ["Hello", "world"]
        assert tts.eos_received == 1
        assert tts.protocol_violations == []


async def test_several_words_in_one_call_are_sent_one_by_one() -> None:
    async with TtsDouble() as tts:
        async with await open_tts_stream(tts.url, KEY, voice="v", voice_embedding=None) as stream:
            stream.send_word("two\twords\n")
            stream.send_eos()
            await receive_all(stream)
        assert tts.words_received == ["two", "words"]
        assert tts.protocol_violations == []


async def test_a_cloned_voice_is_sent_first_and_unchanged_without_a_voice_query() -> None:
    embedding = msgpack.packb(
        {"type": "Voice", "embeddings": [0.25, -0.5, 1.0], "shape": [1, 3]},
        use_bin_type=True,
        use_single_float=True,
    )
    async with TtsDouble() as tts:
        async with await open_tts_stream(
            tts.url, KEY, voice="ignored.wav", voice_embedding=embedding
        ) as stream:
            stream.send_word("Hi")
            stream.send_eos()
            received = await receive_all(stream)
        assert tts.voice_messages == [embedding]
        assert tts.voices == [None]
        assert timings(received) == [("Hi", 0.0, 0.25)]
        assert tts.protocol_violations == []


async def test_audio_arrives_after_a_slow_first_frame() -> None:
    async with (
        TtsDouble(first_audio_latency_s=0.2) as tts,
        await open_tts_stream(tts.url, KEY, voice="v", voice_embedding=None) as stream,
    ):
        stream.send_word("Patience")
        stream.send_eos()
        received = await receive_all(stream)
    assert sum(isinstance(m, TtsAudio) for m in received) == 4  # 0.25 s, padded


async def test_a_server_error_mid_stream_is_raised() -> None:
    async with (
        TtsDouble(after_ready=[{"type": "Error", "message": "out of memory"}]) as tts,
        await open_tts_stream(tts.url, KEY, voice="v", voice_embedding=None) as stream,
    ):
        with pytest.raises(SpeechStreamError, match="out of memory"):
            await receive_all(stream)


async def test_a_wrong_api_key_is_an_auth_error() -> None:
    async with TtsDouble(api_key="secret") as tts:
        with pytest.raises(SpeechAuthError):
            await open_tts_stream(tts.url, "public_token", voice="v", voice_embedding=None)
        assert tts.auth_refusals == 1


async def test_a_full_node_is_reported_busy() -> None:
    async with TtsDouble(slots=1) as tts:
        async with await open_tts_stream(tts.url, KEY, voice="v", voice_embedding=None):
            with pytest.raises(ServiceUnavailable) as refused:
                await open_tts_stream(tts.url, KEY, voice="v", voice_embedding=None)
        assert refused.value.reason is UnavailableReason.ALL_BUSY
        assert refused.value.service == "tts"
        assert tts.streams_refused_busy == 1
