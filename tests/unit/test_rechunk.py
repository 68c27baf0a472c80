"""Whole words out of arbitrarily cut LLM deltas."""

from __future__ import annotations

import itertools

from hypothesis import given
from hypothesis import strategies as st

from backend.text.rechunk import WordRechunker


def rechunk(deltas: list[str]) -> list[list[str]]:
    """The words emitted after each delta, then the flush."""
    rechunker = WordRechunker()
    return [rechunker.push(delta) for delta in deltas] + [rechunker.flush()]


def test_a_word_waits_for_the_whitespace_after_it() -> None:
    assert rechunk(["Hel", "lo", " wor", "ld", "!"]) == [[], [], ["Hello"], [], [], ["world!"]]


def test_several_words_in_one_delta() -> None:
    assert rechunk(["Hi there, how ", "are you?"]) == [["Hi", "there,", "how"], ["are"], ["you?"]]


def test_newlines_and_runs_of_whitespace_separate_words() -> None:
    assert rechunk(["One\n\ntwo\t", "  three"]) == [["One", "two"], [], ["three"]]


def test_leading_whitespace_completes_the_previous_word() -> None:
    assert rechunk(["Bon", "jour", " à", " tous"]) == [[], [], ["Bonjour"], ["à"], ["tous"]]


def test_flush_resets_for_the_next_reply() -> None:
    rechunker = WordRechunker()
    assert rechunker.push("last") == []
    assert rechunker.flush() == ["last"]
    assert rechunker.flush() == []
    assert rechunker.push("next ") == ["next"]


# Mostly spaces and letters so that words and separators both occur often.
_texts = st.text(alphabet=st.sampled_from("ab é'-.\n\t\u00a0\u3000"), max_size=60)


@given(text=_texts, cuts=st.lists(st.integers(min_value=0, max_value=60), max_size=12))
def test_any_chunking_gives_the_whitespace_split_of_the_text(text: str, cuts: list[int]) -> None:
    bounds = sorted({min(cut, len(text)) for cut in cuts} | {0, len(text)})
    deltas = [text[start:end] for start, end in itertools.pairwise(bounds)]
    emitted = rechunk(deltas)
    words = [word for batch in emitted for word in batch]
    assert words == text.split()
    for word in words:
        assert word
        assert not any(char.isspace() for char in word)


@given(text=_texts, cuts=st.lists(st.integers(min_value=0, max_value=60), max_size=12))
def test_words_come_out_as_soon_as_complete_and_never_split(text: str, cuts: list[int]) -> None:
    bounds = sorted({min(cut, len(text)) for cut in cuts} | {0, len(text)})
    rechunker = WordRechunker()
    received = ""
    emitted: list[str] = []
    for start, end in itertools.pairwise(bounds):
        received += text[start:end]
        emitted += rechunker.push(text[start:end])
        # The last word of what has arrived may still grow, unless whitespace follows it.
        ends_complete = not received or received[-1].isspace()
        complete_words = received.split() if ends_complete else received.split()[:-1]
        assert emitted == complete_words
