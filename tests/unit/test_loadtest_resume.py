"""Resuming a dropped conversation as the browser app does, on scripted timelines: which
closes are resumed, the backoff, the history offered, and what a resume showed."""

from __future__ import annotations

import pytest

from backend.realtime import events as ev
from loadtest.report import level_markdown
from loadtest.results import Issue, LevelResult, ResumeRecord
from loadtest.resume import Backoff, ResumeEvidence, is_resumable_drop, turns_kept
from loadtest.stats import summarise_level
from loadtest.transcript import Transcript
from loadtest.turns import TurnTracker

CREATED = ev.ResponseCreated(response=ev.Response(voice="v"))
HISTORY = [
    {"role": "assistant", "content": "Hi there, how are you?"},
    {"role": "user", "content": "fine thanks"},
    {"role": "assistant", "content": "Glad to hear—"},
]


@pytest.mark.parametrize(
    ("close_code", "fatal", "resumed"),
    [
        (1006, False, True),  # no close frame: the backend died
        (None, False, True),
        (1001, False, True),  # the server is restarting
        (1011, False, True),  # a crash without a fatal error
        (1012, False, True),
        (1011, True, False),  # a fatal error is shown, not resumed
        (1000, False, False),  # the server ended the call
        (1008, False, False),  # a close the server explains
    ],
)
def test_only_a_close_that_says_nothing_of_the_conversation_is_resumed(
    close_code: int | None, fatal: bool, resumed: bool
) -> None:
    assert is_resumable_drop(close_code, fatal_error=fatal) is resumed


def test_the_backoff_is_the_apps_jittered_quarter_second_doubling_to_one() -> None:
    backoff = Backoff()
    assert [backoff.ceiling_s(n) for n in range(5)] == [0.25, 0.5, 1.0, 1.0, 1.0]
    assert backoff.delay_s(0, draw=lambda: 0.0) == pytest.approx(0.125)
    assert backoff.delay_s(1, draw=lambda: 1.0) == pytest.approx(0.5)
    assert backoff.max_attempts == 16


def words(transcript: Transcript, event_type: type[ev.ServerEvent], *parts: str) -> None:
    for part in parts:
        if event_type is ev.ResponseTextDelta:
            transcript.on_event(ev.ResponseTextDelta(delta=part))
        else:
            transcript.on_event(ev.InputAudioTranscriptionDelta(delta=part, start_time=0.0))


def test_the_history_offered_is_the_transcript_as_heard() -> None:
    transcript = Transcript()
    transcript.on_event(CREATED)
    words(transcript, ev.ResponseTextDelta, "Hi", "there,", " how", "are", "you?")
    transcript.on_event(ev.ResponseAudioDone())
    words(transcript, ev.InputAudioTranscriptionDelta, " fine", "thanks")
    transcript.on_event(CREATED)
    words(transcript, ev.ResponseTextDelta, "Glad", "to", "hear")
    transcript.on_event(ev.UnmuteInterruptedByVad())  # the user cut the bot off
    transcript.on_event(CREATED)  # a reply that never said a word before the drop
    transcript.connection_dropped()
    assert transcript.history() == HISTORY


def test_a_reply_cut_before_its_first_word_is_not_offered() -> None:
    transcript = Transcript()
    words(transcript, ev.InputAudioTranscriptionDelta, "hello")
    transcript.on_event(CREATED)
    transcript.on_event(ev.UnmuteInterruptedByVad())
    assert transcript.history() == [{"role": "user", "content": "hello"}]


def test_the_history_offered_keeps_within_the_servers_bounds() -> None:
    transcript = Transcript()
    for _ in range(ev.MAX_PRIOR_MESSAGES + 5):
        transcript.on_event(CREATED)
        words(transcript, ev.ResponseTextDelta, "hi")
        words(transcript, ev.InputAudioTranscriptionDelta, "yo")
    history = transcript.history()
    assert len(history) == ev.MAX_PRIOR_MESSAGES
    assert history[-1] == {"role": "user", "content": "yo"}, "the newest turns are kept"

    long = Transcript()
    words(long, ev.InputAudioTranscriptionDelta, "a" * (ev.MAX_PRIOR_HISTORY_CHARS + 10))
    (only,) = long.history()
    assert len(only["content"]) == ev.MAX_PRIOR_HISTORY_CHARS, "its end is kept"


def echo(history: list[dict[str, str]]) -> ev.UnmuteAdditionalOutputs:
    messages = [ev.ChatMessage.model_validate(m) for m in history]
    return ev.UnmuteAdditionalOutputs(args=ev.AdditionalOutputsArgs(chat_history=messages))


def test_a_resume_is_timed_from_the_drop_and_checked_by_the_first_history_update() -> None:
    evidence = ResumeEvidence(HISTORY, dropped_at=110.0)
    evidence.new_attempt()
    evidence.new_attempt()
    evidence.on_event(111.0, echo([]))  # not yet resumed: not the new server's history
    evidence.on_event(111.2, ev.SessionUpdated(session=ev.SessionConfig()))
    evidence.on_event(111.5, echo([*HISTORY, {"role": "user", "content": "and"}]))
    evidence.on_event(112.5, echo([]))  # later updates do not count
    record = evidence.record(conversation=4, origin=100.0, close_code=1006)
    assert record.model_dump() == {
        "conversation": 4,
        "dropped_at": 10.0,
        "close_code": 1006,
        "attempts": 2,
        "resumed_after_s": pytest.approx(1.2),
        "turns_offered": 3,
        "turns_echoed": 3,
        "history_accepted": True,
        "history_echoed_after_s": pytest.approx(1.5),
    }
    assert "3 turns offered, 3 came back" in evidence.describe()


def test_a_history_that_came_back_changed_or_not_at_all_is_not_accepted() -> None:
    changed = [HISTORY[0], {"role": "user", "content": "fine"}, HISTORY[2]]
    assert turns_kept(HISTORY, [ev.ChatMessage.model_validate(m) for m in changed]) == 1

    evidence = ResumeEvidence(HISTORY, dropped_at=10.0)
    evidence.on_event(11.0, ev.SessionUpdated(session=ev.SessionConfig()))
    evidence.on_event(11.1, echo(changed))
    record = evidence.record(conversation=1, origin=0.0, close_code=1006)
    assert (record.turns_echoed, record.history_accepted) == (1, False)

    silent = ResumeEvidence(HISTORY, dropped_at=10.0)
    silent.on_event(11.0, ev.SessionUpdated(session=ev.SessionConfig()))
    record = silent.record(conversation=1, origin=0.0, close_code=1006)
    assert (record.turns_echoed, record.history_accepted) == (None, None)

    never = ResumeEvidence(HISTORY, dropped_at=10.0)
    for _ in range(16):
        never.new_attempt()
    assert never.record(conversation=1, origin=0.0, close_code=None).resumed_after_s is None
    assert "not resumed after 16 attempts" in never.describe()


def test_a_resumed_connection_goes_on_counting_turns_and_is_not_greeted() -> None:
    tracker = TurnTracker(conversation=2, origin=0.0, first_index=3, greets=False)
    tracker.on_event(1.0, CREATED)  # a silence prompt, not a greeting
    tracker.on_event(1.5, ev.ResponseAudioDone())
    (turn,) = tracker.turns
    assert (turn.index, turn.kind) == (3, "unprompted")
    assert tracker.next_index == 4


def test_resumes_are_their_own_figure_and_a_resumed_drop_is_no_failure() -> None:
    resumed = ResumeRecord(
        conversation=1,
        dropped_at=5.0,
        close_code=1006,
        attempts=3,
        resumed_after_s=1.2,
        turns_offered=3,
        turns_echoed=3,
        history_accepted=True,
        history_echoed_after_s=1.3,
    )
    lost = resumed.model_copy(
        update={
            "conversation": 2,
            "resumed_after_s": None,
            "turns_echoed": None,
            "history_accepted": None,
        }
    )
    level = LevelResult(
        concurrency=2,
        duration_s=10.0,
        monotonic_origin=0.0,
        conversations=2,
        turns=[],
        issues=[
            Issue(kind="resumed", detail="resumed", conversation=1, at=5.0),
            Issue(kind="dropped", detail="not resumed", conversation=2, at=5.0),
        ],
        resumes=[resumed, lost],
    )
    level.summary = summarise_level(level)
    assert level.summary.failures == 1 and level.summary.protocol_errors == 0
    assert level.summary.resumes is not None
    assert (level.summary.resumes.drops, level.summary.resumes.resumed) == (2, 1)
    assert level.summary.resumes.history_accepted == 1
    assert level.summary.resumes.resumed_after_s.p50 == pytest.approx(1.2)
    assert "Dropped connections: 2, resumed: **1**" in level_markdown(level)

    level.resumes = []
    assert summarise_level(level).resumes is None, "no drop, no figure"
