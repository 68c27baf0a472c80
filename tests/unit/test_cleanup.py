"""Markdown and emoji never reach the TTS; words, numbers and prosody marks do."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from backend.text.cleanup import clean_for_speech


@pytest.mark.parametrize(
    ("raw", "spoken"),
    [
        ("**Hello**", "Hello"),
        ("*really*", "really"),
        ("__very__", "very"),
        ("_quite_", "quite"),
        ("`pip`", "pip"),
        ("~~old~~", "old"),
        ("##", ""),
        ("-", ""),
        ("•", ""),
        ("---", ""),
        ("😀", ""),
        ("great!🎉", "great!"),
        ("👍🏽", ""),
        ("[docs](https://example.com/a_b)", "docs"),
        ("[click", "click"),
        ("here](https://example.com)", "here"),
        ("![a", "a"),
    ],
)
def test_one_word_loses_its_markup(raw: str, spoken: str) -> None:
    assert clean_for_speech(raw) == spoken


@pytest.mark.parametrize(
    "word",
    [
        "don't",
        "l’été",
        "aujourd'hui",
        "well-known",
        "snake_case",
        "3.14",
        "1,000",
        "#1",
        "42.",
        "Really?",
        "Wow!",
        "so,",
        "note:",
        "then;",
        "Ça",
        "œuvre",
        "naïve",
        "Größe",
        "25°C",
    ],
)
def test_words_and_prosody_punctuation_survive(word: str) -> None:
    assert clean_for_speech(word) == word


def test_a_markdown_answer_becomes_plain_speech() -> None:
    raw = (
        "## Quick tips\n"
        "- Drink **water** 💧\n"
        "* Sleep _enough_\n"
        "> Read [the guide](https://example.com/guide) daily.\n"
        "1. Start `now`, not ~~tomorrow~~!"
    )
    assert clean_for_speech(raw) == (
        "Quick tips Drink water Sleep enough Read the guide daily. 1. Start now, not tomorrow!"
    )


def test_french_text_is_untouched() -> None:
    text = "C'est génial, n'est-ce pas ? Oui : à bientôt ; l'été arrive !"
    assert clean_for_speech(text) == text


_MARKUP = "*`~_#[]()!-"


@given(st.text(alphabet=st.sampled_from("ab é'.,?" + _MARKUP + "😀🎉"), max_size=40))
def test_no_emphasis_code_or_emoji_survives(text: str) -> None:
    cleaned = clean_for_speech(text)
    assert "*" not in cleaned
    assert "`" not in cleaned
    assert "~~" not in cleaned
    assert "😀" not in cleaned and "🎉" not in cleaned
    assert cleaned == " ".join(cleaned.split())


@given(st.text(alphabet=st.sampled_from("abcé'’-,.?!:; ÀÇœ0123456789"), max_size=40))
def test_plain_prose_only_has_its_whitespace_normalised(text: str) -> None:
    words = [word for word in text.split() if word.strip("-")]
    assert clean_for_speech(text) == " ".join(words)
