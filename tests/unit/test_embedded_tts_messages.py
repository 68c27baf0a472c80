"""Client frames of the tts_streaming protocol as the CPU TTS reads them: what is accepted
and what is refused, with the field at fault."""

from __future__ import annotations

import msgpack
import pytest

from backend.speech_protocol.codec import ProtocolError
from backend.speech_protocol.tts_messages import Eos, Text, Voice, client_messages


def packed(message: object) -> bytes:
    data: bytes = msgpack.packb(message, use_bin_type=True)
    return data


def test_the_three_client_messages_parse() -> None:
    assert client_messages.decode(packed({"type": "Text", "text": "hi"})) == Text("hi")
    assert client_messages.decode(packed({"type": "Eos"})) == Eos()
    voice = client_messages.decode(packed({"type": "Voice", "embeddings": [1.0], "shape": [1]}))
    assert isinstance(voice, Voice) and voice.embeddings == [1.0]


def test_unknown_keys_are_ignored() -> None:
    assert client_messages.decode(packed({"type": "Eos", "extra": 1})) == Eos()


@pytest.mark.parametrize(
    ("frame", "reason"),
    [
        ('{"type": "Text"}', "binary"),
        (b"\xc1\xc1\xc1", "msgpack"),
        (packed({"type": "Text", "text": "a"}) + b"\x01", "msgpack"),
        (packed([1, 2, 3]), "map"),
        (packed({"text": "hello"}), "type"),
        (packed({"type": "Dance"}), "unknown message type 'Dance'"),
        (packed({"type": "Audio", "pcm": [0.0]}), "unknown message type 'Audio'"),
        (packed({"type": "Text", "text": 5}), "malformed Text message: .* at `\\$.text`"),
        (packed({"type": "Text"}), "missing required field `text`"),
    ],
)
def test_malformed_frames_are_refused_with_a_reason(frame: bytes | str, reason: str) -> None:
    with pytest.raises(ProtocolError, match=reason):
        client_messages.decode(frame)
