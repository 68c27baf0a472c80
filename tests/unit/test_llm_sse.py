"""The `data` of an event stream read from its bytes, however the reads split it."""

from __future__ import annotations

import itertools
from dataclasses import dataclass

import pytest
from hypothesis import given
from hypothesis import strategies as st

from backend.clients.llm_sse import MAX_EVENT_BYTES, SseDataReader, SseTooLongError

# Values hold anything but line breaks: multi-byte characters, colons, leading spaces.
VALUES = st.text(st.characters(codec="utf-8", exclude_characters="\r\n"), max_size=12)


@dataclass(frozen=True)
class Line:
    text: str  # the line as sent, without its end
    data: str | None  # what a `data` line adds to its event


@st.composite
def data_lines(draw: st.DrawFn) -> Line:
    value = draw(VALUES)
    after_colon = draw(st.sampled_from(["", " "])) + value
    if not after_colon:
        return Line(draw(st.sampled_from(["data", "data:"])), "")
    # One space after the colon is the separator, not the value.
    return Line(f"data:{after_colon}", after_colon.removeprefix(" "))


ignored_lines = st.builds(
    lambda field, value: Line(f"{field}{value}", None),
    st.sampled_from(
        [
            ":",
            ": keep-alive",
            "event:",
            "event: message",
            "id: 7",
            "retry: 10",
            "dataset: 1",
            "Data: upper case is another field",
        ]
    ),
    VALUES,
)


@st.composite
def streams(draw: st.DrawFn) -> tuple[bytes, list[str]]:
    """A body of events in one line-end style, and the `data` of each of its events."""
    end = draw(st.sampled_from(["\n", "\r\n", "\r"]))
    body, expected = "", []
    for lines in draw(st.lists(st.lists(data_lines() | ignored_lines, max_size=4), max_size=5)):
        body += "".join(line.text + end for line in lines) + end
        data = [line.data for line in lines if line.data is not None]
        if data:
            expected.append("\n".join(data))
    if draw(st.booleans()):
        body += "data: unfinished" + draw(st.sampled_from(["", end]))  # never dispatched
    bom = b"\xef\xbb\xbf" if draw(st.booleans()) else b""
    return bom + body.encode(), expected


def read(reads: list[bytes]) -> list[str]:
    reader = SseDataReader()
    return [data for received in reads for data in reader.feed(received)] + reader.finish()


@given(streams())
def test_a_stream_split_at_any_position_gives_the_same_events(
    stream: tuple[bytes, list[str]],
) -> None:
    body, expected = stream
    assert read([body]) == expected
    for cut in range(len(body) + 1):
        assert read([body[:cut], body[cut:]]) == expected, cut


@given(streams(), st.lists(st.integers(min_value=0, max_value=400), max_size=12))
def test_a_stream_read_in_many_pieces_gives_the_same_events(
    stream: tuple[bytes, list[str]], cuts: list[int]
) -> None:
    body, expected = stream
    bounds = sorted({min(cut, len(body)) for cut in cuts} | {0, len(body)})
    assert read([body[start:end] for start, end in itertools.pairwise(bounds)]) == expected
    assert read([body[i : i + 1] for i in range(len(body))]) == expected


def test_an_openai_stream_with_keep_alives_and_done() -> None:
    body = (
        b": ping\r\n\r\n"
        b'data: {"choices": [{"delta": {"content": "Hi"}}]}\r\n\r\n'
        b'data: {"choices": [{"delta": {"content": " \xc3\xa9t\xc3\xa9"}}]}\r\n\r\n'
        b"data: [DONE]\r\n\r\n"
    )
    assert read([body[i : i + 3] for i in range(0, len(body), 3)]) == [
        '{"choices": [{"delta": {"content": "Hi"}}]}',
        '{"choices": [{"delta": {"content": " été"}}]}',
        "[DONE]",
    ]


def test_a_carriage_return_that_ends_the_body_ends_the_last_event() -> None:
    assert read([b"data: a\r", b"\r"]) == ["a"]
    assert read([b"data: a\r"]) == []  # the event was never finished


def test_bytes_that_are_not_utf8_are_replaced_not_fatal() -> None:
    assert read([b"data: caf\xe9\n\n"]) == ["caf\ufffd"]


def test_an_event_that_never_ends_is_refused_before_it_fills_the_memory() -> None:
    piece = b"x" * (64 * 1024)
    endless_line, reader = [b"data: ", *[piece] * 15], SseDataReader()
    assert [reader.feed(received) for received in endless_line] == [[]] * 16
    with pytest.raises(SseTooLongError):
        reader.feed(piece + piece)
    endless_event, reader = b"data: " + piece + b"\n", SseDataReader()
    with pytest.raises(SseTooLongError):
        for _ in range(MAX_EVENT_BYTES // len(piece) + 1):
            reader.feed(endless_event)
