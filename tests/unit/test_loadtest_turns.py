"""Per-turn measurements from scripted timelines (times in seconds)."""

from __future__ import annotations

import pytest

from backend.realtime import events as ev
from loadtest.turns import SpeechEnd, TurnTracker

CREATED = ev.ResponseCreated(response=ev.Response(voice="v"))


def greet(tracker: TurnTracker, start: float = 10.0) -> None:
    tracker.session_requested(start)
    tracker.on_event(start + 0.1, ev.SessionUpdated(session=ev.SessionConfig()))
    tracker.on_event(start + 0.3, CREATED)
    tracker.on_event(start + 0.4, ev.UnmuteResponseTextDeltaReady(delta="Hello"))
    tracker.on_audio(start + 0.5, 1920)
    tracker.on_event(start + 1.0, ev.ResponseAudioDone())


def test_a_reply_turn_is_measured_from_the_end_of_speech() -> None:
    tracker = TurnTracker(conversation=7, origin=10.0)
    greet(tracker)
    tracker.user_started("what time is it", at=12.0)
    tracker.on_event(12.6, ev.SpeechStarted())
    tracker.on_event(12.6, ev.InputAudioTranscriptionDelta(delta="what", start_time=0.1))
    tracker.on_event(12.9, ev.InputAudioTranscriptionDelta(delta="time", start_time=0.4))
    tracker.user_finished(SpeechEnd(at=13.5, sample=48_000, page_sent_at=13.52))
    tracker.on_event(13.8, ev.SpeechStopped())
    tracker.on_event(14.0, CREATED)
    tracker.on_event(14.2, ev.UnmuteResponseTextDeltaReady(delta="It"))
    tracker.on_event(14.21, ev.UnmuteResponseTextDeltaReady(delta=" is noon."))
    for index in range(5):
        tracker.on_audio(14.3 + index * 0.08, 1920)
    tracker.on_event(15.0, ev.ResponseAudioDone())

    greeting, reply = tracker.turns
    assert greeting.kind == "greeting" and greeting.greeting_first_audio == pytest.approx(0.5)
    assert reply.kind == "reply" and reply.outcome == "completed"
    assert (reply.conversation, reply.index) == (7, 1)
    assert reply.said == "what time is it"
    assert reply.transcript == "what time"
    assert reply.reply == "It is noon."
    assert reply.first_transcript_word == pytest.approx(0.6)
    assert reply.speech_stopped == pytest.approx(0.3)
    assert reply.response_created == pytest.approx(0.5)
    assert reply.first_llm_word == pytest.approx(0.7)
    assert reply.voice_to_voice == pytest.approx(0.8)
    assert reply.speech_end_at == pytest.approx(3.5)  # relative to the origin
    assert reply.speech_end_sample == 48_000
    assert reply.first_audio_at == pytest.approx(4.3)
    assert reply.audio_s == pytest.approx(0.4)
    assert reply.gaps == 0
    assert reply.tts_realtime_factor == pytest.approx(1.0)


def test_a_clip_the_stt_missed_is_not_counted_as_a_reply() -> None:
    tracker = TurnTracker(conversation=1, origin=0.0)
    greet(tracker, start=0.0)
    tracker.user_started("hello", at=2.0)
    tracker.user_finished(SpeechEnd(at=3.0, sample=1, page_sent_at=3.0))
    tracker.on_event(10.0, CREATED)  # a silence prompt, seven seconds later
    tracker.on_event(10.5, ev.ResponseAudioDone())
    unheard = tracker.turns[-1]
    assert unheard.kind == "unheard"
    assert unheard.response_created is None and unheard.voice_to_voice is None


def test_a_bot_turn_without_user_speech_is_unprompted() -> None:
    tracker = TurnTracker(conversation=1, origin=0.0)
    greet(tracker, start=0.0)
    tracker.on_event(9.0, CREATED)
    tracker.on_event(9.5, ev.ResponseAudioDone())
    assert [t.kind for t in tracker.turns] == ["greeting", "unprompted"]


def test_interrupted_and_cut_off_turns_keep_their_outcome() -> None:
    tracker = TurnTracker(conversation=1, origin=0.0)
    greet(tracker, start=0.0)
    tracker.on_event(5.0, CREATED)
    tracker.on_audio(5.2, 960)
    tracker.on_event(5.5, ev.UnmuteInterruptedByVad())
    tracker.on_event(8.0, CREATED)
    assert tracker.in_bot_turn
    tracker.connection_closed()
    assert [t.outcome for t in tracker.turns] == ["completed", "interrupted", "cut_off"]
    assert not tracker.in_bot_turn


def test_transcripts_during_a_bot_turn_do_not_count_for_the_user() -> None:
    tracker = TurnTracker(conversation=1, origin=0.0)
    tracker.user_started("hello", at=0.0)
    tracker.on_event(1.0, CREATED)
    tracker.on_event(1.1, ev.InputAudioTranscriptionDelta(delta="echo", start_time=0.0))
    tracker.on_event(2.0, ev.ResponseAudioDone())
    assert tracker.turns[0].transcript == ""
