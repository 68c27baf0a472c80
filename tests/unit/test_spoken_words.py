"""The words to speak out of arbitrarily cut LLM deltas, each with the text the model wrote
for it: joined, the written forms give back the streamed text byte for byte."""

from __future__ import annotations

import itertools

from hypothesis import given
from hypothesis import strategies as st

from backend.text.cleanup import clean_for_speech
from backend.text.spoken_words import SpokenWord, SpokenWords


def stream(*deltas: str) -> tuple[list[SpokenWord], str]:
    """Every word, and what was written after the last one."""
    words = SpokenWords()
    spoken = [word for delta in deltas for word in words.push(delta)] + words.flush()
    return spoken, words.unspoken


def test_each_word_carries_the_separators_before_it() -> None:
    spoken, after = stream("Hi there.\n\nHow", "  are you?\n")
    assert spoken == [
        SpokenWord("Hi", "Hi"),
        SpokenWord("there.", " there."),
        SpokenWord("How", "\n\nHow"),
        SpokenWord("are", "  are"),
        SpokenWord("you?", " you?"),
    ]
    assert after == "\n"


def test_text_not_spoken_goes_with_the_next_word_or_after_the_last() -> None:
    spoken, after = stream("**Paris** is", " lovely 😀 - ", "in spring. 🎉")
    assert [(w.text, w.written) for w in spoken] == [
        ("Paris", "**Paris**"),
        ("is", " is"),
        ("lovely", " lovely"),
        ("in", " 😀 - in"),
        ("spring.", " spring."),
    ]
    assert after == " 🎉"


def test_a_word_that_also_appears_in_unspoken_text_is_found_after_it() -> None:
    # "*" is not spoken; the word "*a" cleans to "a", and "a" itself comes after both.
    spoken, after = stream("** *a a")
    assert [(w.text, w.written) for w in spoken] == [("a", "** *a"), ("a", " a")]
    assert after == ""


def test_a_word_waits_for_the_whitespace_after_it() -> None:
    words = SpokenWords()
    assert words.push("Hel") == []
    assert words.push("lo wor") == [SpokenWord("Hello", "Hello")]
    assert words.unspoken == " wor"
    assert words.push("ld") == []
    assert words.flush() == [SpokenWord("world", " world")]
    assert words.unspoken == ""


def test_text_after_a_flush_carries_on_from_it() -> None:
    """A tool call flushes the words so far; text the model writes after it still joins up."""
    words = SpokenWords()
    assert words.push("Let me\n") == [SpokenWord("Let", "Let"), SpokenWord("me", " me")]
    assert words.push("look.") == []
    assert words.flush() == [SpokenWord("look.", "\nlook.")]
    assert words.push("\nDone ") == [SpokenWord("Done", "\nDone")]
    assert words.unspoken == " "


# Pieces of prose, separators and markup, so that each occurs often.
_pieces = ["a", "b", "é", " ", "  ", "\n", "\n\n", ".", "*", "**", "#", "- ", "😀", "\u00a0"]
_texts = st.lists(st.sampled_from(_pieces), max_size=30).map("".join)


@given(text=_texts, cuts=st.lists(st.integers(min_value=0, max_value=60), max_size=12))
def test_any_chunking_gives_back_the_text_and_the_words_spoken(text: str, cuts: list[int]) -> None:
    bounds = sorted({min(cut, len(text)) for cut in cuts} | {0, len(text)})
    spoken, after = stream(*(text[start:end] for start, end in itertools.pairwise(bounds)))
    assert "".join(word.written for word in spoken) + after == text
    cleaned = (clean_for_speech(word) for word in text.split())
    assert [word.text for word in spoken] == [word for word in cleaned if word]
    for word in spoken:
        assert word.written.endswith(word.text) or clean_for_speech(word.written) == word.text
