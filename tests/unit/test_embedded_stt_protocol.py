"""Reading client frames of the asr-streaming protocol: valid ones typed, others refused."""

from __future__ import annotations

import math

import msgpack
import numpy as np
import pytest

from embedded.speech_common import pack
from embedded.stt import protocol
from embedded.stt.protocol import AudioIn, InvalidMessage, MarkerIn, parse_client_frame


def frame(message: object) -> bytes:
    packed: bytes = msgpack.packb(message, use_bin_type=True, use_single_float=True)
    return packed


def test_audio_is_read_as_float32_pcm() -> None:
    message = parse_client_frame(frame({"type": "Audio", "pcm": [0.0, 0.5, -0.25]}))
    assert isinstance(message, AudioIn)
    assert message.pcm.dtype == np.float32
    assert message.pcm.tolist() == [0.0, 0.5, -0.25]


def test_audio_accepts_double_precision_and_integers() -> None:
    packed = msgpack.packb({"type": "Audio", "pcm": [0.1, 0, 1]}, use_single_float=False)
    message = parse_client_frame(packed)
    assert isinstance(message, AudioIn)
    assert np.allclose(message.pcm, [0.1, 0.0, 1.0])


def test_empty_audio_is_valid() -> None:
    message = parse_client_frame(frame({"type": "Audio", "pcm": []}))
    assert isinstance(message, AudioIn)
    assert message.pcm.size == 0


def test_out_of_range_samples_are_clipped() -> None:
    message = parse_client_frame(frame({"type": "Audio", "pcm": [3.0, -2.0, 0.5]}))
    assert isinstance(message, AudioIn)
    assert message.pcm.tolist() == [1.0, -1.0, 0.5]


def test_unknown_keys_are_ignored_like_moshi_server() -> None:
    message = parse_client_frame(frame({"type": "Marker", "id": 3, "extra": "x"}))
    assert message == MarkerIn(3)


@pytest.mark.parametrize(
    ("raw", "reason"),
    [
        (b"\xc1\x00garbage", "not a msgpack message"),
        (frame([1, 2, 3]), "msgpack map"),
        (frame({"pcm": [0.0]}), "unknown message type"),
        (frame({"type": "Text", "text": "hi"}), "unknown message type"),
        (frame({"type": "Audio"}), "array of floats"),
        (frame({"type": "Audio", "pcm": "0.1 0.2"}), "array of floats"),
        (frame({"type": "Audio", "pcm": [0.1, "x"]}), "flat array of numbers"),
        (frame({"type": "Audio", "pcm": [0.1, None]}), "flat array of numbers"),
        (frame({"type": "Audio", "pcm": [[0.1], [0.2]]}), "flat array of numbers"),
        (frame({"type": "Audio", "pcm": [[0.1], [0.2, 0.3]]}), "flat array of numbers"),
        (frame({"type": "Audio", "pcm": [0.1, math.nan]}), "NaN or infinite"),
        (frame({"type": "Audio", "pcm": [math.inf]}), "NaN or infinite"),
        (frame({"type": "Marker"}), "integer"),
        (frame({"type": "Marker", "id": "7"}), "integer"),
        (frame({"type": "Marker", "id": True}), "integer"),
        (frame({"type": "Audio", "pcm": b"\x00\x00"}), "not a msgpack message"),
        ("text frame", "text frame"),
    ],
)
def test_malformed_frames_are_refused_with_a_reason(raw: bytes | str, reason: str) -> None:
    with pytest.raises(InvalidMessage, match=reason):
        parse_client_frame(raw)


def test_a_giant_audio_message_is_refused_before_it_is_decoded() -> None:
    too_many = protocol.MAX_AUDIO_MESSAGE_SAMPLES + 1
    giant = frame({"type": "Audio", "pcm": np.zeros(too_many, dtype=np.float32).tolist()})
    with pytest.raises(InvalidMessage, match="not a msgpack message"):
        parse_client_frame(giant)


def test_server_messages_have_moshi_server_fields() -> None:
    step = msgpack.unpackb(pack(protocol.step(4, (0.1, 0.2, 0.3, 0.4), 960)))
    assert step["type"] == "Step"
    assert step["step_idx"] == 4
    assert step["buffered_pcm"] == 960
    assert np.allclose(step["prs"], [0.1, 0.2, 0.3, 0.4])
    assert msgpack.unpackb(pack(protocol.word("hello", 1.5))) == {
        "type": "Word",
        "text": "hello",
        "start_time": 1.5,
    }
    assert msgpack.unpackb(pack(protocol.end_word(2.0))) == {"type": "EndWord", "stop_time": 2.0}
    assert msgpack.unpackb(pack(protocol.marker(9))) == {"type": "Marker", "id": 9}
    assert msgpack.unpackb(pack(protocol.ready())) == {"type": "Ready"}
    assert msgpack.unpackb(pack(protocol.error("no"))) == {"type": "Error", "message": "no"}
