"""Client frames of the tts_streaming protocol: what is accepted and what is refused."""

from __future__ import annotations

import msgpack
import pytest

from embedded.tts.messages import (
    EosIn,
    MalformedFrame,
    TextIn,
    VoiceIn,
    parse_client_frame,
)


def packed(message: object) -> bytes:
    data: bytes = msgpack.packb(message, use_bin_type=True)
    return data


def test_the_three_client_messages_parse() -> None:
    assert parse_client_frame(packed({"type": "Text", "text": "hi"})) == TextIn(
        type="Text", text="hi"
    )
    assert parse_client_frame(packed({"type": "Eos"})) == EosIn(type="Eos")
    voice = parse_client_frame(packed({"type": "Voice", "embeddings": [1.0], "shape": [1]}))
    assert isinstance(voice, VoiceIn) and voice.embeddings == [1.0]


def test_unknown_keys_are_ignored() -> None:
    assert parse_client_frame(packed({"type": "Eos", "extra": 1})) == EosIn(type="Eos")


@pytest.mark.parametrize(
    ("frame", "reason"),
    [
        ('{"type": "Text"}', "binary"),
        (b"\xc1\xc1\xc1", "msgpack"),
        (packed({"type": "Text", "text": "a"}) + b"\x01", "msgpack"),
        (packed([1, 2, 3]), "map"),
        (packed({"text": "hello"}), "type"),
        (packed({"type": "Dance"}), "Dance"),
        (packed({"type": "Text", "text": 5}), "text"),
        (packed({"type": "Text"}), "text"),
    ],
)
def test_malformed_frames_are_refused_with_a_reason(frame: bytes | str, reason: str) -> None:
    with pytest.raises(MalformedFrame, match=reason):
        parse_client_frame(frame)
