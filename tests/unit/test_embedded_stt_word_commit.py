"""When a guessed word becomes final, and that each word is final exactly once."""

from __future__ import annotations

from embedded.stt.word_commit import TimedWord, WordCommitter

HELLO = TimedWord("hello", 0.0, 0.4)
THERE = TimedWord("there", 0.4, 0.8)
THEIR = TimedWord("their", 0.4, 0.8)
FRIEND = TimedWord("friend", 0.8, 1.2)


def guess_repeatedly(
    committer: WordCommitter, guess: list[TimedWord], times: int, audio_end_s: float
) -> list[TimedWord]:
    committed: list[TimedWord] = []
    for _ in range(times):
        committed += committer.on_guess(guess, audio_end_s)
    return committed


def test_a_word_is_final_once_stable_and_old_enough() -> None:
    committer = WordCommitter(stable_after_s=0.3, stable_guesses=3)
    assert guess_repeatedly(committer, [HELLO], 3, audio_end_s=2.0) == []
    assert committer.on_guess([HELLO], audio_end_s=2.0) == [HELLO]
    assert guess_repeatedly(committer, [HELLO], 5, audio_end_s=2.0) == []


def test_a_recent_word_waits_even_when_stable() -> None:
    committer = WordCommitter(stable_after_s=0.3, stable_guesses=2)
    assert guess_repeatedly(committer, [HELLO], 5, audio_end_s=0.6) == []
    assert committer.on_guess([HELLO], audio_end_s=0.75) == [HELLO]


def test_a_word_that_keeps_changing_is_not_final() -> None:
    committer = WordCommitter(stable_after_s=0.3, stable_guesses=2)
    committed = []
    for guess in ([HELLO, THERE], [HELLO, THEIR], [HELLO, THERE], [HELLO, THEIR]):
        committed += committer.on_guess(guess, audio_end_s=3.0)
    assert committed == [HELLO]


def test_only_a_prefix_is_committed() -> None:
    committer = WordCommitter(stable_after_s=0.3, stable_guesses=2)
    committed = []
    for guess in ([HELLO, THERE, FRIEND], [HELLO, THEIR, FRIEND], [HELLO, THERE, FRIEND]):
        committed += committer.on_guess(guess, audio_end_s=3.0)
    assert committed == [HELLO]  # "friend" is stable, but the word before it is not


def test_the_final_hypothesis_adds_only_words_after_the_committed_ones() -> None:
    committer = WordCommitter(stable_after_s=0.3, stable_guesses=1)
    committed = guess_repeatedly(committer, [HELLO], 2, audio_end_s=1.0)
    # The final pass moved the first word's end a little and revised the rest.
    final = [TimedWord("hello", 0.0, 0.42), THEIR, FRIEND]
    assert committed + committer.on_final(final) == [HELLO, THEIR, FRIEND]


def test_words_of_the_next_utterance_follow_the_last_one() -> None:
    committer = WordCommitter(stable_after_s=0.3, stable_guesses=1)
    assert committer.on_final([HELLO, THERE]) == [HELLO, THERE]
    later = TimedWord("friend", 2.0, 2.4)
    assert guess_repeatedly(committer, [later], 2, audio_end_s=3.0) == [later]
    assert committer.on_final([later]) == []
