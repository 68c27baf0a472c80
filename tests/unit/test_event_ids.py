"""Event ids: the shape clients know (`event_` and 21 alphanumerics), fresh for every event."""

from __future__ import annotations

import re
import string

from backend.realtime import events as ev


def test_ids_have_the_documented_shape_and_do_not_repeat() -> None:
    ids = [ev.new_event_id() for _ in range(5_000)]
    assert all(re.fullmatch(r"event_[A-Za-z0-9]{21}", event_id) for event_id in ids)
    assert len(set(ids)) == len(ids)


def test_every_symbol_is_used() -> None:
    symbols = set("".join(ev.new_event_id()[len("event_") :] for _ in range(2_000)))
    assert symbols == set(string.ascii_letters + string.digits)


def test_each_event_gets_its_own_id() -> None:
    first, second = ev.SpeechStarted(), ev.SpeechStarted()
    assert first.event_id != second.event_id
