"""The CPU TTS server over real sockets: moshi-server's tts_streaming protocol, spoken by
each engine (espeak-ng, and the packaged Piper voice)."""

from __future__ import annotations

import asyncio
import re
import subprocess
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any

import httpx
import msgpack
import numpy as np
import pytest
import websockets
from websockets.exceptions import InvalidStatus

from backend.speech_protocol.constants import FRAME_SAMPLES, SAMPLE_RATE
from embedded.tts.engine import shared_engine
from embedded.tts.espeak import EspeakParams
from embedded.tts.piper_engine import load_piper_engine
from embedded.tts.server import create_app
from embedded.tts.synthesizer import Synthesizer
from embedded.voice_cloning.analysis import measure_voice
from embedded.voice_cloning.profile import VoiceProfile, profile_to_voice_message
from tests.integration.backend_server import UNMUTE_OPS, serving

pytestmark = pytest.mark.integration

KEY = "public_token"
SENTENCE = "Hello there, my friend! I speak as soon as words arrive. Isn't that nice?"
LONG_REPLY = (
    "Well, first you boil the water in a large pot, then you add the pasta and a pinch of "
    "salt, and after about ten minutes you taste it to see whether it is ready. If it is, "
    "you drain it and serve it with the sauce while everything is still hot."
)


@pytest.fixture(scope="module", params=["espeak", "piper"])
def engine(request: pytest.FixtureRequest) -> Synthesizer[Any]:
    return shared_engine() if request.param == "espeak" else load_piper_engine()


@pytest.fixture
async def tts(engine: Synthesizer[Any]) -> AsyncIterator[str]:
    async with serving(create_app(slots=2, api_key=KEY, engine=engine)) as address:
        yield address


def stream_url(address: str, query: str = "format=PcmMessagePack&voice=vctk/p225_023.wav") -> str:
    return f"ws://{address}/api/tts_streaming?{query}"


def packed(message: dict[str, Any]) -> bytes:
    data: bytes = msgpack.packb(message, use_bin_type=True, use_single_float=True)
    return data


@dataclass
class Spoken:
    """What the server sent back for one stream, in order."""

    messages: list[dict[str, Any]] = field(default_factory=list)
    close_code: int | None = None
    first_audio_at: float | None = None
    eos_sent_at: float | None = None

    def of_type(self, kind: str) -> list[dict[str, Any]]:
        return [m for m in self.messages if m["type"] == kind]

    @property
    def audio(self) -> np.ndarray:
        frames = [np.asarray(m["pcm"], np.float32) for m in self.of_type("Audio")]
        return np.concatenate(frames) if frames else np.zeros(0, np.float32)


async def speak(
    address: str,
    words: list[str],
    *,
    first: dict[str, Any] | None = None,
    word_gap_s: float = 0.0,
    query: str | None = None,
) -> Spoken:
    """Stream `words` (after an optional first message) then Eos; collect every reply."""
    url = stream_url(address) if query is None else stream_url(address, query)
    spoken = Spoken()
    async with websockets.connect(url, additional_headers={"kyutai-api-key": KEY}) as ws:
        assert msgpack.unpackb(await ws.recv()) == {"type": "Ready"}

        async def send_words() -> None:
            if first is not None:
                await ws.send(packed(first))
            for word in words:
                await ws.send(packed({"type": "Text", "text": word}))
                await asyncio.sleep(word_gap_s)
            spoken.eos_sent_at = time.monotonic()
            await ws.send(packed({"type": "Eos"}))

        sender = asyncio.create_task(send_words())
        async for frame in ws:
            assert isinstance(frame, bytes)
            message = msgpack.unpackb(frame)
            if message["type"] == "Audio" and spoken.first_audio_at is None:
                spoken.first_audio_at = time.monotonic()
            spoken.messages.append(message)
        await sender
        spoken.close_code = ws.close_code
    return spoken


def mean_pitch(audio: np.ndarray) -> float:
    return measure_voice(audio, SAMPLE_RATE).pitch_hz


async def test_a_stream_follows_the_protocol(tts: str) -> None:
    words = SENTENCE.split()
    query = "format=PcmMessagePack&voice=vctk/p225_023.wav&cfg_alpha=1.5&seed=42"
    spoken = await speak(tts, words, word_gap_s=0.01, query=query)

    assert spoken.close_code == 1000
    assert all(m["type"] in {"Audio", "Text"} for m in spoken.messages)
    frames = spoken.of_type("Audio")
    assert frames and all(len(f["pcm"]) == FRAME_SAMPLES for f in frames)
    audio = spoken.audio
    assert np.sqrt(np.mean(audio**2)) > 0.02
    assert np.abs(audio).max() <= 1.0

    texts = spoken.of_type("Text")
    assert [t["text"] for t in texts] == words
    duration_s = len(audio) / SAMPLE_RATE
    starts = [t["start_s"] for t in texts]
    assert starts == sorted(starts) and starts[-1] > starts[0]
    assert all(0 <= t["start_s"] <= t["stop_s"] <= duration_s + 1e-3 for t in texts)

    frames_before = 0
    for message in spoken.messages:
        if message["type"] == "Audio":
            frames_before += 1
        else:  # a word's Text comes no later than the frame where it starts
            assert frames_before <= int(message["start_s"] * SAMPLE_RATE) // FRAME_SAMPLES


async def test_audio_starts_while_words_are_still_arriving(tts: str) -> None:
    spoken = await speak(tts, LONG_REPLY.split(), word_gap_s=0.04)
    assert spoken.first_audio_at is not None and spoken.eos_sent_at is not None
    assert spoken.first_audio_at < spoken.eos_sent_at
    assert [t["text"] for t in spoken.of_type("Text")] == LONG_REPLY.split()


async def test_eos_without_words_closes_cleanly(tts: str) -> None:
    spoken = await speak(tts, [])
    assert spoken.messages == []
    assert spoken.close_code == 1000


async def test_the_api_key_is_checked_at_the_upgrade(tts: str) -> None:
    for headers in ({}, {"kyutai-api-key": "wrong"}):
        with pytest.raises(InvalidStatus) as refused:
            async with websockets.connect(stream_url(tts), additional_headers=headers):
                pass
        assert refused.value.response.status_code == 401
    async with websockets.connect(stream_url(tts, f"auth_id={KEY}&voice=x")) as ws:
        assert msgpack.unpackb(await ws.recv()) == {"type": "Ready"}


async def test_no_key_configured_lets_anyone_in(engine: Synthesizer[Any]) -> None:
    async with (
        serving(create_app(slots=1, api_key=None, engine=engine)) as address,
        websockets.connect(stream_url(address)) as ws,
    ):
        assert msgpack.unpackb(await ws.recv()) == {"type": "Ready"}


async def test_a_full_server_refuses_politely_and_the_slot_comes_back(
    engine: Synthesizer[Any],
) -> None:
    headers = {"kyutai-api-key": KEY}
    async with serving(create_app(slots=1, api_key=KEY, engine=engine)) as address:
        async with websockets.connect(stream_url(address), additional_headers=headers) as first:
            assert msgpack.unpackb(await first.recv()) == {"type": "Ready"}
            async with websockets.connect(stream_url(address), additional_headers=headers) as late:
                reply = msgpack.unpackb(await late.recv())
                assert reply == {"type": "Error", "message": "no free channels"}
                with pytest.raises(websockets.ConnectionClosed):
                    await late.recv()
        # The first client left without Eos: its slot must be freed.
        for _ in range(100):
            async with websockets.connect(stream_url(address), additional_headers=headers) as ws:
                if msgpack.unpackb(await ws.recv())["type"] == "Ready":
                    break
            await asyncio.sleep(0.02)
        else:
            pytest.fail("the slot never came back")
        metrics = await fetch_metrics(address)
        assert _metric(metrics, "unmute_tts_refused_streams_total") == 1.0


async def test_malformed_frames_get_an_error_and_the_stream_goes_on(tts: str) -> None:
    async with websockets.connect(
        stream_url(tts), additional_headers={"kyutai-api-key": KEY}
    ) as ws:
        assert msgpack.unpackb(await ws.recv()) == {"type": "Ready"}
        bad_frames: list[bytes | str] = [
            "not binary",
            b"\xc1\xc1",
            packed({"type": "Dance"}),
            packed({"type": "Text", "text": 3}),
            msgpack.packb([1, 2]),
            packed({"type": "Text", "text": "x" * 500}),
        ]
        for frame in bad_frames:
            await ws.send(frame)
            reply = msgpack.unpackb(await ws.recv())
            assert reply["type"] == "Error" and reply["message"]
        # Voice is only valid first; later it is refused and ignored.
        await ws.send(packed({"type": "Text", "text": "Hello"}))
        await ws.send(packed({"type": "Voice", "embeddings": [0.0], "shape": [1]}))
        await ws.send(packed({"type": "Text", "text": ""}))  # tolerated, not spoken
        await ws.send(packed({"type": "Text", "text": "again."}))
        await ws.send(packed({"type": "Eos"}))
        replies = [msgpack.unpackb(frame) async for frame in ws]
        assert ws.close_code == 1000
    assert [r["type"] for r in replies].count("Error") == 1
    assert [r["text"] for r in replies if r["type"] == "Text"] == ["Hello", "again."]
    assert any(r["type"] == "Audio" for r in replies)
    spoken = await speak(tts, ["still", "alive."])
    assert spoken.of_type("Audio")


async def test_a_client_vanishing_mid_stream_frees_its_slot(tts: str) -> None:
    headers = {"kyutai-api-key": KEY}
    async with websockets.connect(stream_url(tts), additional_headers=headers) as ws:
        await ws.recv()
        for word in SENTENCE.split():
            await ws.send(packed({"type": "Text", "text": word}))
        await ws.recv()  # audio is flowing
        ws.transport.abort()  # as if the client crashed: no closing handshake
    for _ in range(100):
        if _metric(await fetch_metrics(tts), "unmute_tts_slots_in_use") == 0:
            break
        await asyncio.sleep(0.02)
    else:
        pytest.fail("the slot was not released")


async def test_different_voices_sound_different(tts: str, engine: Synthesizer[Any]) -> None:
    def height(voice_id: str) -> float:
        """How high the engine's voice for an id is meant to sound."""
        voice = engine.voice_for_id(voice_id)
        return float("+f" in voice.voice) if isinstance(voice, EspeakParams) else voice.pitch

    candidates = [f"unmute-prod-website/speaker-{i}.wav" for i in range(50)]
    low, high = min(candidates, key=height), max(candidates, key=height)
    words = SENTENCE.split()
    low_audio = (await speak(tts, words, query=f"voice={low}")).audio
    high_audio = (await speak(tts, words, query=f"voice={high}")).audio
    # espeak's female variants sit an octave up; Piper's characters span ~7 semitones.
    apart = 1.4 if isinstance(engine.voice_for_id(low), EspeakParams) else 1.3
    assert mean_pitch(high_audio) > mean_pitch(low_audio) * apart


@pytest.mark.parametrize("pitch_hz", [90.0, 125.0])
async def test_a_cloned_voice_speaks_at_its_pitch(tts: str, pitch_hz: float) -> None:
    voice = profile_to_voice_message(VoiceProfile(pitch_hz, 4.0, 5.0))
    spoken = await speak(tts, SENTENCE.split(), first=voice, query="format=PcmMessagePack")
    assert [t["text"] for t in spoken.of_type("Text")] == SENTENCE.split()
    assert mean_pitch(spoken.audio) == pytest.approx(pitch_hz, rel=0.15)


async def test_build_info_and_metrics(tts: str) -> None:
    await speak(tts, SENTENCE.split())
    async with httpx.AsyncClient(base_url=f"http://{tts}") as client:
        info = await client.get("/api/build_info")
        assert info.status_code == 200 and info.json()["service"] == "unmute-embedded-tts"
        metrics = (await client.get("/metrics")).text
    assert _metric(metrics, "unmute_tts_streams_total") == 1.0
    assert _metric(metrics, "unmute_tts_time_to_first_audio_seconds_count") == 1.0
    assert _metric(metrics, "unmute_tts_real_time_factor_count") >= 1.0
    assert _metric(metrics, "unmute_tts_slots") == 2.0


def test_a_voice_that_cannot_be_loaded_stops_the_server_with_the_reason() -> None:
    finished = subprocess.run(
        [UNMUTE_OPS, "serve", "tts", "--engine", "piper", "--voice", "/no/such/voice.onnx"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert finished.returncode == 1
    last_line = finished.stderr.strip().splitlines()[-1]
    assert "no Piper voice at /no/such/voice.onnx" in last_line and "--voice PATH" in last_line


async def fetch_metrics(address: str) -> str:
    async with httpx.AsyncClient() as client:
        return (await client.get(f"http://{address}/metrics")).text


def _metric(text: str, name: str) -> float:
    match = re.search(rf"^{re.escape(name)} (\S+)$", text, re.MULTILINE)
    assert match, f"{name} missing from /metrics"
    return float(match.group(1))
