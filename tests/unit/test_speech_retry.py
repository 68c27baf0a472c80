"""Opening a speech stream: retries, all within the deadline of the wait they serve."""

from __future__ import annotations

import asyncio
import time

import pytest

from backend.clients.speech_errors import ServiceBusy, SpeechAuthError
from backend.clients.speech_retry import OPEN_ATTEMPTS, OpenDeadlinePassed, open_with_retries
from backend.deadline import Deadline


class Opener:
    """Fails `failures` times with `error`, then opens; or never answers if `hang`."""

    def __init__(self, failures: int = 0, error: Exception | None = None, hang: bool = False):
        self.calls = 0
        self._failures = failures
        self._error = error or ServiceBusy("ws://stt-1")
        self._hang = hang

    async def __call__(self) -> str:
        self.calls += 1
        if self._hang:
            await asyncio.Event().wait()
        if self.calls <= self._failures:
            raise self._error
        return "stream"


async def test_a_busy_node_is_retried_until_a_slot_frees() -> None:
    opener = Opener(failures=OPEN_ATTEMPTS - 1)
    assert await open_with_retries(opener) == "stream"
    assert opener.calls == OPEN_ATTEMPTS


async def test_retries_stop_after_the_last_attempt_with_its_error() -> None:
    opener = Opener(failures=OPEN_ATTEMPTS)
    with pytest.raises(ServiceBusy):
        await open_with_retries(opener)
    assert opener.calls == OPEN_ATTEMPTS


async def test_a_refused_key_is_not_retried() -> None:
    opener = Opener(failures=1, error=SpeechAuthError("ws://stt-1", 401))
    with pytest.raises(SpeechAuthError):
        await open_with_retries(opener)
    assert opener.calls == 1


async def test_the_deadline_cuts_a_hung_attempt_short() -> None:
    opener = Opener(hang=True)
    with pytest.raises(OpenDeadlinePassed):
        await open_with_retries(opener, Deadline.after(0.05, time.monotonic()))
    assert opener.calls == 1


async def test_a_passed_deadline_asks_for_nothing() -> None:
    opener = Opener()
    with pytest.raises(OpenDeadlinePassed):
        await open_with_retries(opener, Deadline(time.monotonic() - 1.0))
    assert opener.calls == 0
