"""The protocol rules the load tester checks: a correct timeline passes, each breach is named."""

from __future__ import annotations

import json
from typing import Any

import numpy as np

from backend.audio.ogg import OpusOutputEncoder
from backend.realtime import events as ev
from loadtest.protocol_check import (
    AudioStreamChecker,
    EventOrderChecker,
    Violation,
    parse_server_message,
)

CREATED = ev.ResponseCreated(response=ev.Response(voice="v"))
TEXT = ev.UnmuteResponseTextDeltaReady(delta="Hi")
AUDIO = ev.ResponseAudioDelta(delta="")
OUTPUTS = ev.UnmuteAdditionalOutputs(
    args=ev.AdditionalOutputsArgs(chat_history=[ev.ChatMessage(role="assistant", content="Hi")])
)
DONE = ev.ResponseAudioDone()
TRANSCRIPT = ev.InputAudioTranscriptionDelta(delta="hello", start_time=1.0)
UPDATED = ev.SessionUpdated(session=ev.SessionConfig())


def order_problems(events: list[ev.ServerEvent]) -> list[str]:
    checker = EventOrderChecker()
    return [v.detail for event in events for v in checker.feed(event)]


def test_a_correct_conversation_has_no_violation() -> None:
    turn: list[ev.ServerEvent] = [CREATED, TEXT, AUDIO, TEXT, AUDIO, OUTPUTS, DONE]
    events: list[ev.ServerEvent] = [UPDATED, *turn, TRANSCRIPT, ev.SpeechStopped(), *turn]
    fresh = [e.model_copy(update={"event_id": ev.new_event_id()}) for e in events]
    assert order_problems(fresh) == []


def test_an_interrupted_turn_may_end_without_audio() -> None:
    events: list[ev.ServerEvent] = [
        UPDATED,
        CREATED,
        TEXT,
        ev.UnmuteInterruptedByVad(),
        TRANSCRIPT,
    ]
    assert order_problems(events) == []


def test_each_ordering_breach_is_named() -> None:
    assert any("before session.updated" in p for p in order_problems([CREATED]))
    assert any("outside a bot turn" in p for p in order_problems([UPDATED, AUDIO]))
    assert any("before any LLM text" in p for p in order_problems([UPDATED, CREATED, AUDIO]))
    assert any("inside another" in p for p in order_problems([UPDATED, CREATED, CREATED]))
    assert any(
        "transcript arrived during a bot turn" in p
        for p in order_problems([UPDATED, CREATED, TRANSCRIPT])
    )
    assert any(
        "additional_outputs must come right before" in p
        for p in order_problems([UPDATED, CREATED, TEXT, AUDIO, DONE])
    )
    user_last = ev.UnmuteAdditionalOutputs(
        args=ev.AdditionalOutputsArgs(chat_history=[ev.ChatMessage(role="user", content="x")])
    )
    assert any(
        "does not end with the reply" in p
        for p in order_problems([UPDATED, CREATED, TEXT, AUDIO, user_last, DONE])
    )


def test_a_reused_event_id_is_a_violation() -> None:
    checker = EventOrderChecker()
    assert checker.feed(UPDATED) == []
    assert [v.kind for v in checker.feed(UPDATED)] == ["event_id"]


def _message(**payload: Any) -> str:
    return json.dumps(payload)


def test_parsing_tells_unknown_types_from_schema_errors() -> None:
    unknown = parse_server_message(_message(type="response.surprise", event_id="event_1"))
    assert unknown == Violation("unknown_event", "unknown event type 'response.surprise'")
    bad = parse_server_message(_message(type="response.text.delta", event_id="event_1"))
    assert isinstance(bad, Violation) and bad.kind == "schema" and "delta" in bad.detail
    no_id = parse_server_message(_message(type="response.audio.done"))
    assert isinstance(no_id, Violation) and no_id.kind == "event_id"
    assert parse_server_message(b"\x00").kind == "binary_frame"  # type: ignore[union-attr]
    assert parse_server_message("{oops").kind == "not_json"  # type: ignore[union-attr]
    good = parse_server_message(_message(type="response.audio.done", event_id="event_1"))
    assert isinstance(good, ev.ResponseAudioDone)


def _encoded_pages(seconds: float) -> bytes:
    encoder = OpusOutputEncoder()
    return encoder.encode(np.full(int(seconds * 24_000), 0.1, dtype=np.float32))


def test_one_continuous_audio_stream_passes() -> None:
    encoder = OpusOutputEncoder()
    checker = AudioStreamChecker()
    for _ in range(3):
        assert checker.feed(encoder.encode(np.zeros(1920, dtype=np.float32))) == []


def test_a_restarted_audio_stream_is_a_violation() -> None:
    checker = AudioStreamChecker()
    assert checker.feed(_encoded_pages(0.1)) == []
    problems = checker.feed(_encoded_pages(0.1))  # a new encoder: OpusHead again
    assert [v.kind for v in problems] == ["audio_stream"]
    assert "restarted" in problems[0].detail


def test_a_delta_cut_inside_a_page_is_a_violation() -> None:
    pages = _encoded_pages(0.2)
    problems = AudioStreamChecker().feed(pages[:-10])
    assert any("page boundary" in v.detail for v in problems)


def test_a_stream_not_starting_with_opus_head_is_a_violation() -> None:
    encoder = OpusOutputEncoder()
    encoder.encode(np.zeros(960, dtype=np.float32))  # headers and first page not sent
    later = encoder.encode(np.zeros(960, dtype=np.float32))
    problems = AudioStreamChecker().feed(later)
    assert any("does not begin an Opus stream" in v.detail for v in problems)
