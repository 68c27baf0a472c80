"""What the speech clients do with server frames that are not what they expect: a newer
server's message types and stray frames are skipped, a malformed known message breaks
the stream with the field named."""

from __future__ import annotations

from typing import cast

import msgpack
import pytest

from backend.clients.speech_connection import SpeechConnection
from backend.clients.speech_errors import SpeechStreamError
from backend.clients.speech_socket import SpeechSocket
from backend.clients.stt import SttMarker, SttStream
from backend.speech_protocol import stt_messages
from tests.doubles.scripted_websocket import ScriptedWebSocket


def packed(message: object) -> bytes:
    data: bytes = msgpack.packb(message, use_bin_type=True)
    return data


def stt_stream(frames: list[bytes | str]) -> SttStream:
    connection = cast(SpeechConnection, ScriptedWebSocket(frames))
    decoder = stt_messages.server_messages
    return SttStream(SpeechSocket(connection, service="stt", url="ws://stt", decoder=decoder))


async def test_unknown_types_and_stray_frames_are_skipped() -> None:
    frames: list[bytes | str] = [
        packed({"type": "Speaker", "id": 2}),  # a type a newer server may add
        packed([1, 2]),
        "a text frame",
        packed({"type": "Ready"}),
        packed({"type": "Marker", "id": 4}),
    ]
    async with stt_stream(frames) as stream:
        assert [message async for message in stream] == [SttMarker(4)]


async def test_a_malformed_known_message_breaks_the_stream() -> None:
    frames: list[bytes | str] = [
        packed({"type": "Step", "step_idx": "1", "prs": [], "buffered_pcm": 0})
    ]
    async with stt_stream(frames) as stream:
        with pytest.raises(SpeechStreamError, match=r"malformed Step message: .* `\$.step_idx`"):
            await anext(aiter(stream))
