"""Both sides of each speech protocol against the golden vectors of tests/golden/moshi.

For every message type, the side that sends it writes exactly the golden bytes, and the
side that receives it reads them as the expected typed message: the backend's STT and
TTS clients on one side, the embedded CPU speech servers on the other.
"""

from __future__ import annotations

import asyncio
from typing import Any, cast

import numpy as np
import pytest

from backend.clients.speech_connection import SpeechConnection
from backend.clients.speech_errors import SpeechStreamError
from backend.clients.speech_socket import SpeechSocket
from backend.clients.stt import SttEndWord, SttMarker, SttStep, SttStream, SttWord
from backend.clients.tts import TtsAudio, TtsStream, TtsWordTiming
from backend.speech_protocol import stt_messages, tts_messages
from backend.speech_protocol.codec import Audio, Error, Ready, encode
from backend.speech_protocol.constants import NO_FREE_CHANNELS
from backend.speech_protocol.stt_messages import EndWord, Marker, Step, Word
from backend.speech_protocol.tts_messages import Eos, Text, TextTiming, Voice
from embedded.stt.protocol import parse_client_frame
from embedded.tts.framing import AudioFramer
from embedded.tts.synthesizer import TimedWord
from tests.doubles.scripted_websocket import ScriptedWebSocket
from tests.golden.moshi.vectors import VECTORS, Vector, vector


def golden(protocol: str, name: str) -> bytes:
    return vector(protocol, name).path.read_bytes()


def golden_pcm(protocol: str, name: str) -> np.ndarray[Any, np.dtype[np.float32]]:
    return np.array(vector(protocol, name).message["pcm"], dtype=np.float32)


def stt_stream(websocket: ScriptedWebSocket) -> SttStream:
    connection = cast(SpeechConnection, websocket)
    return SttStream(
        SpeechSocket(
            connection, service="stt", url="ws://stt", decoder=stt_messages.server_messages
        )
    )


def tts_stream(websocket: ScriptedWebSocket) -> TtsStream:
    connection = cast(SpeechConnection, websocket)
    return TtsStream(
        SpeechSocket(
            connection, service="tts", url="ws://tts", decoder=tts_messages.server_messages
        )
    )


async def next_sent(websocket: ScriptedWebSocket) -> bytes:
    async with asyncio.timeout(5):
        return await websocket.sent.get()


@pytest.mark.parametrize("each", VECTORS, ids=lambda each: f"{each.protocol}-{each.name}")
def test_the_golden_files_are_the_documented_examples(each: Vector) -> None:
    assert each.path.read_bytes() == each.packed(), "run python -m tests.golden.moshi.vectors"


# asr-streaming: the backend's client sends Audio and Marker, the CPU STT reads them.


async def test_the_stt_client_writes_golden_audio_and_markers() -> None:
    websocket = ScriptedWebSocket()
    async with stt_stream(websocket) as stream:
        stream.send_audio(golden_pcm("stt", "client_Audio"))
        assert await next_sent(websocket) == golden("stt", "client_Audio")
        stream.send_marker(7)
        assert await next_sent(websocket) == golden("stt", "client_Marker")


def test_the_cpu_stt_reads_golden_audio_and_markers() -> None:
    audio = parse_client_frame(golden("stt", "client_Audio"))
    assert isinstance(audio, Audio)
    assert audio.pcm.dtype == np.float32
    assert audio.pcm.tolist() == golden_pcm("stt", "client_Audio").tolist()
    assert parse_client_frame(golden("stt", "client_Marker")) == Marker(7)


# asr-streaming: the CPU STT writes the server's messages, the backend's client reads them.


def test_the_cpu_stt_writes_golden_server_messages() -> None:
    assert encode(Ready()) == golden("stt", "server_Ready")
    assert encode(Error(NO_FREE_CHANNELS)) == golden("stt", "server_Error")
    assert encode(Word("hello", 1.5)) == golden("stt", "server_Word")
    assert encode(EndWord(1.875)) == golden("stt", "server_EndWord")
    assert encode(Step(12, (0.125, 0.25, 0.5, 0.75), 960)) == golden("stt", "server_Step")
    assert encode(Marker(7)) == golden("stt", "server_Marker")


async def test_the_stt_client_reads_golden_server_messages() -> None:
    names = ["server_Ready", "server_Word", "server_EndWord", "server_Step", "server_Marker"]
    websocket = ScriptedWebSocket(golden("stt", name) for name in names)
    async with stt_stream(websocket) as stream:
        received = [message async for message in stream]
    assert received == [
        SttWord("hello", 1.5),
        SttEndWord(1.875),
        SttStep(12, (0.125, 0.25, 0.5, 0.75), 960),
        SttMarker(7),
    ]


async def test_the_stt_client_raises_a_golden_error() -> None:
    websocket = ScriptedWebSocket([golden("stt", "server_Error")])
    async with stt_stream(websocket) as stream:
        with pytest.raises(SpeechStreamError, match=NO_FREE_CHANNELS):
            await anext(aiter(stream))


# tts_streaming: the backend's client sends Text and Eos (and a cloning service's Voice
# as it came), the CPU TTS reads them.


async def test_the_tts_client_writes_golden_words_and_eos() -> None:
    websocket = ScriptedWebSocket()
    async with tts_stream(websocket) as stream:
        stream.send_word(" hello ")
        assert await next_sent(websocket) == golden("tts", "client_Text")
        stream.send_eos()
        assert await next_sent(websocket) == golden("tts", "client_Eos")


def test_the_cpu_tts_reads_golden_client_messages() -> None:
    decode = tts_messages.client_messages.decode
    assert decode(golden("tts", "client_Text")) == Text("hello")
    assert decode(golden("tts", "client_Eos")) == Eos()
    assert decode(golden("tts", "client_Voice")) == Voice(b"\x00\x01\x02\x03", [1, 4])


# tts_streaming: the CPU TTS writes the server's messages, the backend's client reads them.


def test_the_cpu_tts_writes_golden_server_messages() -> None:
    assert encode(Ready()) == golden("tts", "server_Ready")
    assert encode(Error(NO_FREE_CHANNELS)) == golden("tts", "server_Error")
    framer = AudioFramer()
    word = TimedWord("hello", 0.5, 0.875)  # spoken after this frame: its Text comes last
    framed = framer.push(golden_pcm("tts", "server_Audio"), [word]) + framer.finish()
    assert [encode(message) for message in framed] == [
        golden("tts", "server_Audio"),
        golden("tts", "server_Text"),
    ]
    assert encode(TextTiming("", 0.0, 0.0)) == golden("tts", "server_Text_empty")


async def test_the_tts_client_reads_golden_server_messages() -> None:
    names = ["server_Ready", "server_Text_empty", "server_Text", "server_Audio"]
    websocket = ScriptedWebSocket(golden("tts", name) for name in names)
    async with tts_stream(websocket) as stream:
        received = [message async for message in stream]
    assert len(received) == 2  # the empty-text timing is skipped
    assert received[0] == TtsWordTiming("hello", 0.5, 0.875)
    assert isinstance(received[1], TtsAudio)
    assert received[1].pcm.dtype == np.float32
    assert received[1].pcm.tolist() == golden_pcm("tts", "server_Audio").tolist()


async def test_the_tts_client_raises_a_golden_error() -> None:
    websocket = ScriptedWebSocket([golden("tts", "server_Error")])
    async with tts_stream(websocket) as stream:
        with pytest.raises(SpeechStreamError, match=NO_FREE_CHANNELS):
            await anext(aiter(stream))
