"""The typed codec of the speech protocols: how each way a frame can be wrong is told
apart and named, and what passes untouched."""

from __future__ import annotations

import msgpack
import numpy as np
import pytest

from backend.speech_protocol.audio_frames import pack_audio_frame
from backend.speech_protocol.codec import (
    Audio,
    MalformedMessage,
    NotAMessage,
    UnknownMessageType,
    encode,
)
from backend.speech_protocol.stt_messages import (
    Marker,
    Step,
    Word,
    client_messages,
    server_messages,
)
from backend.speech_protocol.tts_messages import TextTiming


def packed(message: object, *, single_float: bool = True) -> bytes:
    data: bytes = msgpack.packb(message, use_bin_type=True, use_single_float=single_float)
    return data


def test_every_message_survives_a_round_trip() -> None:
    for message in (Word("hi", 0.25), Step(3, (0.5, 0.25, 0.125, 1.0), 0), Marker(-1)):
        assert server_messages.decode(encode(message)) == message


def test_unknown_keys_are_ignored_like_moshi_server() -> None:
    frame = packed({"type": "Word", "text": "hi", "start_time": 1, "speaker": 2})
    assert server_messages.decode(frame) == Word("hi", 1.0)


def test_floats_go_out_as_float32() -> None:
    assert encode(TextTiming("a", 0.1, 0.2)) == packed(
        {"type": "Text", "text": "a", "start_s": 0.1, "stop_s": 0.2}, single_float=True
    )


def test_audio_in_any_numeric_layout_comes_back_as_float32() -> None:
    fast = client_messages.decode(pack_audio_frame(np.array([0.5, -0.25], np.float32)))
    doubles = client_messages.decode(
        packed({"type": "Audio", "pcm": [0.5, -0.25]}, single_float=False)
    )
    integers = client_messages.decode(packed({"type": "Audio", "pcm": [1, 0, -1]}))
    for message, expected in (
        (fast, [0.5, -0.25]),
        (doubles, [0.5, -0.25]),
        (integers, [1, 0, -1]),
    ):
        assert isinstance(message, Audio)
        assert message.pcm.dtype == np.float32
        assert message.pcm.tolist() == expected


def test_audio_is_refused_where_it_is_not_expected() -> None:
    with pytest.raises(UnknownMessageType, match="'Audio'; expected one of 'Ready', 'Error'"):
        server_messages.decode(pack_audio_frame(np.zeros(4, np.float32)))


@pytest.mark.parametrize(
    ("frame", "error", "reason"),
    [
        ("{}", NotAMessage, "text frame"),
        (b"\xc1", NotAMessage, "not a msgpack message"),
        (b"\x93\x01\x02\x03", NotAMessage, "msgpack map"),
        (packed({"text": "hi"}), NotAMessage, "string `type`"),
        (packed({"type": 3}), NotAMessage, "string `type`"),
        (packed({"type": "Speaker", "id": 1}), UnknownMessageType, "'Speaker'"),
        (packed({"type": "Step", "step_idx": 1, "prs": [0.5]}), MalformedMessage, "`buffered_pcm`"),
        (
            packed({"type": "Step", "step_idx": 1, "prs": ["x"], "buffered_pcm": 0}),
            MalformedMessage,
            r"malformed Step message: Expected `float`, got `str` - at `\$.prs\[0\]`",
        ),
        (
            packed({"type": "Word", "text": None, "start_time": 0.0}),
            MalformedMessage,
            r"malformed Word message: .* at `\$.text`",
        ),
    ],
)
def test_each_kind_of_bad_frame_is_named(
    frame: bytes | str, error: type[Exception], reason: str
) -> None:
    with pytest.raises(error, match=reason):
        server_messages.decode(frame)
