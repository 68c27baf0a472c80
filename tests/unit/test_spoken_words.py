"""The words to speak out of arbitrarily cut LLM deltas, each with the whitespace the model
wrote before it: laid out, the words give back a reply with nothing unspoken in it byte for
byte, and never hold what was not spoken."""

from __future__ import annotations

import itertools

from hypothesis import given
from hypothesis import strategies as st

from backend.text.cleanup import clean_for_speech
from backend.text.spoken_words import SpokenWord, SpokenWords


def stream(*deltas: str) -> list[SpokenWord]:
    words = SpokenWords()
    return [word for delta in deltas for word in words.push(delta)] + words.flush()


def laid_out(words: list[SpokenWord]) -> str:
    return "".join(word.laid_out for word in words)


def test_each_word_carries_the_whitespace_before_it() -> None:
    spoken = stream("Hi there.\n\nHow", "  are you?\n")
    assert spoken == [
        SpokenWord("Hi", ""),
        SpokenWord("there.", " "),
        SpokenWord("How", "\n\n"),
        SpokenWord("are", "  "),
        SpokenWord("you?", " "),
    ]
    assert laid_out(spoken) == "Hi there.\n\nHow  are you?"


def test_text_not_spoken_is_left_out_and_the_first_whitespace_around_it_kept() -> None:
    spoken = stream("**Paris** is", " lovely 😀 - ", "in spring.\n- the *Louvre* 🎉")
    assert laid_out(spoken) == "Paris is lovely in spring.\nthe Louvre"


def test_a_word_that_also_appears_in_unspoken_text_is_found_after_it() -> None:
    # "*" is not spoken; the word "*a" cleans to "a", and "a" itself comes after both.
    assert stream("** *a a") == [SpokenWord("a", ""), SpokenWord("a", " ")]


def test_a_word_waits_for_the_whitespace_after_it() -> None:
    words = SpokenWords()
    assert words.push("Hel") == []
    assert words.push("lo wor") == [SpokenWord("Hello", "")]
    assert words.push("ld") == []
    assert words.flush() == [SpokenWord("world", " ")]


def test_text_after_a_flush_carries_on_from_it() -> None:
    """A tool call flushes the words so far; text the model writes after it still joins up."""
    words = SpokenWords()
    assert words.push("Let me\n") == [SpokenWord("Let", ""), SpokenWord("me", " ")]
    assert words.push("look.") == []
    assert words.flush() == [SpokenWord("look.", "\n")]
    assert words.push("Done ") == [SpokenWord("Done", " ")], "words never run together"


# Pieces of prose, separators and markup, so that each occurs often.
_pieces = ["a", "b", "é", " ", "  ", "\n", "\n\n", ".", "*", "**", "#", "- ", "😀", "\u00a0"]
_texts = st.lists(st.sampled_from(_pieces), max_size=30).map("".join)


@given(text=_texts, cuts=st.lists(st.integers(min_value=0, max_value=60), max_size=12))
def test_any_chunking_gives_the_words_spoken_laid_out_as_written(
    text: str, cuts: list[int]
) -> None:
    bounds = sorted({min(cut, len(text)) for cut in cuts} | {0, len(text)})
    spoken = stream(*(text[start:end] for start, end in itertools.pairwise(bounds)))
    cleaned = [word for word in (clean_for_speech(word) for word in text.split()) if word]
    assert [word.text for word in spoken] == cleaned
    assert all(word.separator.isspace() for word in spoken[1:])
    assert spoken == [] or spoken[0].separator == ""
    if all(clean_for_speech(word) == word for word in text.split()):
        assert laid_out(spoken) == text.strip(), "nothing unspoken: the text itself"
