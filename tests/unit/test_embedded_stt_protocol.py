"""Reading client frames of the asr-streaming protocol: valid ones typed, others refused."""

from __future__ import annotations

import math

import msgpack
import numpy as np
import pytest

from backend.speech_protocol.codec import Audio, ProtocolError
from backend.speech_protocol.stt_messages import Marker
from embedded.stt import protocol
from embedded.stt.protocol import parse_client_frame


def frame(message: object) -> bytes:
    packed: bytes = msgpack.packb(message, use_bin_type=True, use_single_float=True)
    return packed


def test_audio_is_read_as_float32_pcm() -> None:
    message = parse_client_frame(frame({"type": "Audio", "pcm": [0.0, 0.5, -0.25]}))
    assert isinstance(message, Audio)
    assert message.pcm.dtype == np.float32
    assert message.pcm.tolist() == [0.0, 0.5, -0.25]


def test_audio_accepts_double_precision_and_integers() -> None:
    packed = msgpack.packb({"type": "Audio", "pcm": [0.1, 0, 1]}, use_single_float=False)
    message = parse_client_frame(packed)
    assert isinstance(message, Audio)
    assert np.allclose(message.pcm, [0.1, 0.0, 1.0])


def test_empty_audio_is_valid() -> None:
    message = parse_client_frame(frame({"type": "Audio", "pcm": []}))
    assert isinstance(message, Audio)
    assert message.pcm.size == 0


def test_out_of_range_samples_are_clipped() -> None:
    message = parse_client_frame(frame({"type": "Audio", "pcm": [3.0, -2.0, 0.5]}))
    assert isinstance(message, Audio)
    assert message.pcm.tolist() == [1.0, -1.0, 0.5]


def test_unknown_keys_are_ignored_like_moshi_server() -> None:
    message = parse_client_frame(frame({"type": "Marker", "id": 3, "extra": "x"}))
    assert message == Marker(3)


@pytest.mark.parametrize(
    ("raw", "reason"),
    [
        (b"\xc1\x00garbage", "not a msgpack message"),
        (frame([1, 2, 3]), "msgpack map"),
        (frame({"pcm": [0.0]}), "msgpack map"),
        (frame({"type": "Text", "text": "hi"}), "unknown message type 'Text'"),
        (frame({"type": "Audio"}), "missing required field `pcm`"),
        (frame({"type": "Audio", "pcm": "0.1 0.2"}), "Expected `array`, got `str` - at `\\$.pcm`"),
        (
            frame({"type": "Audio", "pcm": [0.1, "x"]}),
            "Expected `float`, got `str` - at `\\$.pcm\\[1\\]`",
        ),
        (frame({"type": "Audio", "pcm": [0.1, None]}), "got `None` - at `\\$.pcm\\[1\\]`"),
        (frame({"type": "Audio", "pcm": [[0.1], [0.2]]}), "got `array` - at `\\$.pcm\\[0\\]`"),
        (frame({"type": "Audio", "pcm": [0.1, math.nan]}), "NaN or infinite"),
        (frame({"type": "Audio", "pcm": [math.inf]}), "NaN or infinite"),
        (frame({"type": "Marker"}), "missing required field `id`"),
        (frame({"type": "Marker", "id": "7"}), "Expected `int`, got `str` - at `\\$.id`"),
        (frame({"type": "Marker", "id": True}), "Expected `int`, got `bool`"),
        (frame({"type": "Audio", "pcm": b"\x00\x00"}), "got `bytes` - at `\\$.pcm`"),
        ("text frame", "text frame"),
    ],
)
def test_malformed_frames_are_refused_with_a_reason(raw: bytes | str, reason: str) -> None:
    with pytest.raises(ProtocolError, match=reason):
        parse_client_frame(raw)


def test_a_giant_audio_message_is_refused() -> None:
    too_many = protocol.MAX_AUDIO_MESSAGE_SAMPLES + 1
    giant = frame({"type": "Audio", "pcm": np.zeros(too_many, dtype=np.float32).tolist()})
    with pytest.raises(ProtocolError, match="more than 60 s"):
        parse_client_frame(giant)
