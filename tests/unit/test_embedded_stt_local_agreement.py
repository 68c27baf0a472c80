"""LocalAgreement-2 on scripted transcriptions: what is final, and that it is final once."""

from __future__ import annotations

from itertools import pairwise

from embedded.stt.local_agreement import LocalAgreement, spoken_form
from embedded.stt.word_commit import TimedWord


def words(*spec: tuple[str, float, float]) -> list[TimedWord]:
    return [TimedWord(text, start, stop) for text, start, stop in spec]


HELLO = ("Hello", 0.0, 0.4)
HOW = ("how", 0.4, 0.6)
ARE = ("are", 0.6, 0.8)
YOU = ("you", 0.8, 1.0)
TODAY = ("today?", 1.0, 1.4)


def test_a_single_transcription_commits_nothing() -> None:
    agreement = LocalAgreement()
    assert agreement.on_transcription(words(HELLO, HOW)) == []


def test_the_common_prefix_of_two_transcriptions_is_final() -> None:
    agreement = LocalAgreement()
    agreement.on_transcription(words(HELLO, ("house", 0.4, 0.6)))
    assert [w.text for w in agreement.on_transcription(words(HELLO, HOW, ARE))] == ["Hello"]
    # "how are" is compared with the previous transcription's remainder, "how are" again.
    assert [w.text for w in agreement.on_transcription(words(HELLO, HOW, ARE, YOU))] == [
        "how",
        "are",
    ]


def test_case_and_punctuation_do_not_break_an_agreement() -> None:
    agreement = LocalAgreement()
    agreement.on_transcription(words(("hello,", 0.0, 0.4), HOW))
    committed = agreement.on_transcription(words(HELLO, ("How?", 0.4, 0.6)))
    assert [w.text for w in committed] == ["Hello", "How?"]  # the newest spelling


def test_committed_words_are_not_committed_again() -> None:
    agreement = LocalAgreement()
    agreement.on_transcription(words(HELLO, HOW))
    agreement.on_transcription(words(HELLO, HOW))
    # The window still holds "Hello how", placed a little differently this time.
    again = words(("Hello", 0.02, 0.38), ("how", 0.42, 0.62), ARE)
    assert agreement.on_transcription(again) == []
    assert [w.text for w in agreement.on_transcription(words(HELLO, HOW, ARE, YOU))] == ["are"]


def test_a_repeat_of_the_last_committed_words_is_recognised_by_its_text() -> None:
    agreement = LocalAgreement()
    agreement.on_transcription(words(HELLO, HOW))
    agreement.on_transcription(words(HELLO, HOW))
    # This transcription places "how" after the committed "how" ended: by time it looks new.
    shifted = words(("how", 0.62, 0.7), ("are", 0.7, 0.8), YOU)
    assert [w.text for w in agreement.on_final(shifted)] == ["are", "you"]


def test_the_final_transcription_commits_everything_after_the_committed_words() -> None:
    agreement = LocalAgreement()
    agreement.on_transcription(words(HELLO, HOW))
    agreement.on_transcription(words(HELLO, HOW, ("our", 0.6, 0.8)))
    final = agreement.on_final(words(HELLO, HOW, ARE, YOU, TODAY))
    assert [w.text for w in final] == ["are", "you", "today?"]
    assert agreement.on_final(words(HELLO, HOW, ARE, YOU, TODAY)) == []


def test_committed_words_follow_each_other_and_last_a_little() -> None:
    agreement = LocalAgreement()
    overlapping = words(HELLO, ("how", 0.35, 0.35), ARE)
    committed = agreement.on_final(overlapping)
    assert [w.text for w in committed] == ["Hello", "how", "are"]
    assert all(word.start_s < word.stop_s for word in committed)
    assert all(a.stop_s <= b.start_s for a, b in pairwise(committed))


def test_punctuation_alone_is_not_a_word() -> None:
    agreement = LocalAgreement()
    assert [w.text for w in agreement.on_final(words(HELLO, ("...", 0.4, 0.5)))] == ["Hello"]


def test_words_before_the_window_are_forgotten() -> None:
    agreement = LocalAgreement()
    agreement.on_final(words(HELLO, HOW, ARE))
    agreement.forget_before(0.6)
    assert [w.text for w in agreement.committed_in_window] == ["are"]


def test_spoken_form() -> None:
    assert spoken_form("Hello,") == "hello"
    assert spoken_form("don't?") == "don't"
    assert spoken_form("...") == ""
