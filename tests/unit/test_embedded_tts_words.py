"""Word timestamps from espeak's WORD events."""

from __future__ import annotations

import pytest

from embedded.tts.engine import TimedWord, align_words, phrase_text
from embedded.tts.espeak import WordEvent


def test_phrase_text_joins_words_and_marks_open_phrases() -> None:
    assert phrase_text(["so", "I", "went"], open_ended=True) == ("so I went,", [0, 3, 5])
    assert phrase_text(["Done."], open_ended=False) == ("Done.", [0])


def test_each_word_takes_its_event_and_stops_where_the_next_starts() -> None:
    words = ["hello", "there"]
    events = [WordEvent(0, 5, 0.0), WordEvent(6, 5, 0.3)]
    assert align_words(words, [0, 6], events, 0.7) == [
        TimedWord("hello", 0.0, 0.3),
        TimedWord("there", 0.3, 0.7),
    ]


def test_repeated_events_keep_the_first() -> None:
    # espeak reports "2024" once per spoken part.
    events = [WordEvent(0, 2, 0.0), WordEvent(3, 4, 0.2), WordEvent(4, 4, 0.6)]
    timed = align_words(["in", "2024"], [0, 3], events, 1.0)
    assert [w.start_s for w in timed] == [0.0, 0.2]


def test_words_without_an_event_share_the_time_before_the_next() -> None:
    # espeak reads "I am" as one word: no event for "am".
    events = [WordEvent(0, 1, 0.0), WordEvent(5, 4, 0.4)]
    timed = align_words(["I", "am", "here"], [0, 2, 5], events, 0.8)
    assert timed[0].start_s == 0.0
    assert 0.0 < timed[1].start_s < 0.4
    assert timed[2].start_s == 0.4
    assert all(w.start_s <= w.stop_s for w in timed)


def test_times_never_go_backwards_or_past_the_end() -> None:
    events = [WordEvent(0, 1, 0.5), WordEvent(2, 1, 0.2), WordEvent(4, 1, 9.0)]
    timed = align_words(["a", "b", "c"], [0, 2, 4], events, 1.0)
    starts = [w.start_s for w in timed]
    assert starts == sorted(starts)
    assert all(0.0 <= w.start_s <= w.stop_s <= 1.0 for w in timed)


@pytest.mark.parametrize("events", [[], [WordEvent(50, 3, 0.1)]])
def test_no_usable_events_spread_words_over_the_audio(events: list[WordEvent]) -> None:
    timed = align_words(["one", "two"], [0, 4], events, 1.0)
    assert timed[0].start_s == 0.0
    assert 0.0 < timed[1].start_s < 1.0
    assert timed[-1].stop_s == 1.0


def test_no_words_no_times() -> None:
    assert align_words([], [], [], 1.0) == []
