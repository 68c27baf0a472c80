"""A reply without max_tokens ends with its sentence past the soft limit, and at twice the
limit wherever it is."""

from __future__ import annotations

import pytest

from embedded.llm.reply_length import ReplyLength, ends_a_sentence


@pytest.mark.parametrize(
    ("text", "ends"),
    [
        ("It is Paris.", True),
        ("Really? ", True),
        ("Wow!", True),
        ("He said “hello.”", True),
        ("(That was it.)", True),
        ("Well…", True),
        ("It is", False),
        ("Paris,", False),
        ("", False),
    ],
)
def test_sentence_ends(text: str, ends: bool) -> None:
    assert ends_a_sentence(text) is ends


def test_before_the_soft_limit_a_sentence_end_does_not_stop_the_reply() -> None:
    length = ReplyLength(soft_tokens=10)
    assert not length.is_complete("Hi there.", tokens=9)


def test_past_the_soft_limit_the_reply_ends_with_its_sentence() -> None:
    length = ReplyLength(soft_tokens=10)
    assert not length.is_complete("and then we", tokens=12)
    assert length.is_complete("and then we left.", tokens=13)


def test_at_twice_the_soft_limit_the_reply_ends_wherever_it_is() -> None:
    length = ReplyLength(soft_tokens=10)
    assert length.hard_tokens == 20
    assert not length.is_complete("on and on", tokens=19)
    assert length.is_complete("on and on", tokens=20)


def test_a_limit_below_one_token_is_refused() -> None:
    with pytest.raises(ValueError, match="at least one token"):
        ReplyLength(soft_tokens=0)
