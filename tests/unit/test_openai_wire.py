"""Reading OpenAI Realtime client events: the SDK's models, and errors that say what is wrong."""

from __future__ import annotations

import json

import pytest

from backend.openai_realtime.wire import (
    MAX_MESSAGE_BYTES,
    ClientEventError,
    parse_client_event,
    parse_client_frame,
    serialize,
)


def refusal(text: str) -> ClientEventError:
    with pytest.raises(ClientEventError) as caught:
        parse_client_event(text)
    return caught.value


def test_known_events_are_read_with_the_sdk_models() -> None:
    event = parse_client_event(
        json.dumps({"type": "conversation.item.delete", "item_id": "item_1", "event_id": "e1"})
    )
    assert (event.type, event.event_id) == ("conversation.item.delete", "e1")


def test_binary_and_oversized_messages_are_refused_before_parsing() -> None:
    with pytest.raises(ClientEventError) as binary:
        parse_client_frame(None)
    assert binary.value.code == "invalid_event"
    too_large = json.dumps({"type": "input_audio_buffer.append", "audio": "A" * MAX_MESSAGE_BYTES})
    with pytest.raises(ClientEventError) as oversized:
        parse_client_frame(too_large)
    assert oversized.value.code == "message_too_large"
    event = parse_client_frame('{"type": "input_audio_buffer.clear"}')
    assert event.type == "input_audio_buffer.clear"


def test_malformed_json_and_non_events_are_refused() -> None:
    assert refusal("{nope").code == "invalid_json"
    assert refusal("[1, 2]").param == "type"
    assert refusal('{"type": 3}').param == "type"


def test_an_unknown_type_names_the_known_ones_and_echoes_the_event_id() -> None:
    error = refusal('{"type": "response.audio.delta", "event_id": "ev9"}')
    assert "response.create" in error.message and error.event_id == "ev9"
    body = json.loads(serialize(error.event()))
    assert body["type"] == "error" and body["event_id"].startswith("event_")
    assert body["error"] == {
        "type": "invalid_request_error",
        "code": "invalid_event",
        "message": error.message,
        "param": "type",
        "event_id": "ev9",
    }


def test_a_missing_field_is_named() -> None:
    error = refusal('{"type": "conversation.item.truncate", "item_id": "x", "content_index": 0}')
    assert error.param == "audio_end_ms" and "audio_end_ms" in error.message
