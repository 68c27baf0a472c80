"""CPU voice cloning over real sockets, and the TTS speaking with the cloned voice."""

from __future__ import annotations

import io
import tempfile
import wave
from collections.abc import AsyncIterator
from typing import Any

import httpx
import msgpack
import numpy as np
import pytest
import sphn
import websockets

from embedded.tts.engine import SAMPLE_RATE, shared_engine
from embedded.tts.espeak import EspeakParams
from embedded.tts.server import create_app as create_tts_app
from embedded.tts.voices import DEFAULT_VOICE
from embedded.voice_cloning.analysis import measure_voice
from embedded.voice_cloning.server import MAX_UPLOAD_BYTES
from embedded.voice_cloning.server import create_app as create_cloning_app
from tests.integration.backend_server import serving

pytestmark = pytest.mark.integration

KEY = "public_token"
SPEECH = (
    "I would like a cup of tea, please. Yesterday we walked along the river "
    "and talked about the weather for quite a while."
)
LOW_VOICE = EspeakParams(voice="en-us", pitch=10, pitch_range=50, rate=160)
HIGH_VOICE = EspeakParams(voice="en-us+f2", pitch=85, pitch_range=50, rate=190)


@pytest.fixture
async def cloning() -> AsyncIterator[httpx.AsyncClient]:
    async with (
        serving(create_cloning_app(api_key=KEY)) as address,
        httpx.AsyncClient(base_url=f"http://{address}", headers={"kyutai-api-key": KEY}) as client,
    ):
        yield client


async def espeak_clip(voice: EspeakParams) -> np.ndarray:
    return (await shared_engine().speak(SPEECH.split(), voice, False)).audio


def wav_bytes(audio: np.ndarray, sample_rate: int = SAMPLE_RATE) -> bytes:
    buffer = io.BytesIO()
    with wave.open(buffer, "wb") as writer:
        writer.setnchannels(1)
        writer.setsampwidth(2)
        writer.setframerate(sample_rate)
        writer.writeframes((np.clip(audio, -1, 1) * 32767).astype("<i2").tobytes())
    return buffer.getvalue()


def opus_bytes(audio: np.ndarray) -> bytes:
    with tempfile.NamedTemporaryFile(suffix=".ogg") as file:
        sphn.write_opus(file.name, audio, SAMPLE_RATE)
        return file.read()


async def clone(client: httpx.AsyncClient, clip: bytes) -> dict[str, Any]:
    response = await client.post(
        "/api/voice", content=clip, headers={"content-type": "application/octet-stream"}
    )
    assert response.status_code == 200, response.text
    message: dict[str, Any] = msgpack.unpackb(response.content)
    assert message["type"] == "Voice"
    return message


async def speak_with(tts_address: str, voice_message: dict[str, Any]) -> np.ndarray:
    url = f"ws://{tts_address}/api/tts_streaming?format=PcmMessagePack"
    async with websockets.connect(url, additional_headers={"kyutai-api-key": KEY}) as ws:
        assert msgpack.unpackb(await ws.recv()) == {"type": "Ready"}
        # The backend forwards the cloning service's bytes unchanged.
        await ws.send(msgpack.packb(voice_message, use_bin_type=True, use_single_float=True))
        for word in SPEECH.split():
            await ws.send(msgpack.packb({"type": "Text", "text": word}))
        await ws.send(msgpack.packb({"type": "Eos"}))
        frames = [msgpack.unpackb(frame) async for frame in ws]
    pcm = [np.asarray(f["pcm"], np.float32) for f in frames if f["type"] == "Audio"]
    assert pcm, "no audio"
    return np.concatenate(pcm)


def pitch_of_message(message: dict[str, Any]) -> float:
    pitch: float = message["embeddings"][2]
    return pitch


async def test_low_and_high_voices_clone_to_different_pitches(
    cloning: httpx.AsyncClient,
) -> None:
    low = await clone(cloning, wav_bytes(await espeak_clip(LOW_VOICE)))
    high = await clone(cloning, wav_bytes(await espeak_clip(HIGH_VOICE)))
    assert pitch_of_message(low) < 90
    assert pitch_of_message(high) > 220
    assert low["shape"] == high["shape"] == [1, len(low["embeddings"])]


async def test_ogg_opus_and_other_rates_are_accepted(cloning: httpx.AsyncClient) -> None:
    audio = await espeak_clip(HIGH_VOICE)
    from_wav = pitch_of_message(await clone(cloning, wav_bytes(audio)))
    from_opus = pitch_of_message(await clone(cloning, opus_bytes(audio)))
    resampled = sphn.resample(audio, SAMPLE_RATE, 16_000)
    from_16k = pitch_of_message(await clone(cloning, wav_bytes(resampled, 16_000)))
    assert from_opus == pytest.approx(from_wav, rel=0.05)
    assert from_16k == pytest.approx(from_wav, rel=0.05)


async def test_the_tts_speaks_with_the_cloned_pitch(cloning: httpx.AsyncClient) -> None:
    low = await clone(cloning, wav_bytes(await espeak_clip(LOW_VOICE)))
    high = await clone(cloning, wav_bytes(await espeak_clip(HIGH_VOICE)))
    async with serving(create_tts_app(slots=1, api_key=KEY)) as tts:
        low_spoken = measure_voice(await speak_with(tts, low), SAMPLE_RATE).pitch_hz
        high_spoken = measure_voice(await speak_with(tts, high), SAMPLE_RATE).pitch_hz
    assert low_spoken == pytest.approx(pitch_of_message(low), rel=0.15)
    assert high_spoken == pytest.approx(pitch_of_message(high), rel=0.15)


async def test_a_foreign_embedding_falls_back_to_the_default_voice() -> None:
    rng = np.random.default_rng(0)
    moshi_like = {
        "type": "Voice",
        "embeddings": rng.normal(0, 0.1, 2 * 512).tolist(),
        "shape": [1, 2, 512],
    }
    async with serving(create_tts_app(slots=1, api_key=KEY)) as tts:
        audio = await speak_with(tts, moshi_like)
    default = measure_voice(await espeak_clip(DEFAULT_VOICE), SAMPLE_RATE).pitch_hz
    assert measure_voice(audio, SAMPLE_RATE).pitch_hz == pytest.approx(default, rel=0.1)


async def test_bad_uploads_get_a_clear_4xx(cloning: httpx.AsyncClient) -> None:
    rate = SAMPLE_RATE
    cases = {
        b"": 400,
        b"hello, this is not audio": 415,
        b"OggS" + bytes(200): 415,
        wav_bytes(np.zeros(rate // 4, np.float32)): 422,  # too short
        wav_bytes(np.zeros(3 * rate, np.float32)): 422,  # no voice in it
        wav_bytes(np.random.default_rng(1).normal(0, 0.2, 3 * rate)): 422,  # noise
    }
    for clip, status in cases.items():
        response = await cloning.post("/api/voice", content=clip)
        assert response.status_code == status, (clip[:16], response.text)
        assert response.json()["detail"]
    too_big = await cloning.post("/api/voice", content=bytes(MAX_UPLOAD_BYTES + 1))
    assert too_big.status_code == 413


async def test_the_api_key_is_required_and_build_info_answers() -> None:
    async with (
        serving(create_cloning_app(api_key=KEY)) as address,
        httpx.AsyncClient(base_url=f"http://{address}") as client,
    ):
        assert (await client.post("/api/voice", content=b"x")).status_code == 401
        wrong = await client.post("/api/voice?auth_id=nope", content=b"x")
        assert wrong.status_code == 401
        by_query = await client.post(f"/api/voice?auth_id={KEY}", content=b"x")
        assert by_query.status_code == 415
        assert (await client.get("/api/build_info")).status_code == 200
        assert "unmute_voice_cloning_requests_total" in (await client.get("/metrics")).text
