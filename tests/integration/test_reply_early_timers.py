"""A reply's player on a loop whose timers fire early, as a third of uvloop's do (by up to
a millisecond and a bit): woken by its timer, it paces as at the time it asked for, so
the release finds what was due instead of nothing (and a wake-up straight after)."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from backend.clients.llm import LlmClient
from backend.playback import PlaybackPacer, Release
from tests.doubles.llm_double import LlmDouble
from tests.doubles.tts_double import TtsDouble
from tests.integration.reply_session import ReplySession

pytestmark = pytest.mark.integration

GUARD_S = 20
EARLY_S = 0.0015


class EarlyTimerLoop(asyncio.SelectorEventLoop):
    """Every timer fires `EARLY_S` before the time it was asked for."""

    def call_at(
        self, when: float, callback: Callable[..., object], *args: Any, context: Any = None
    ) -> asyncio.TimerHandle:
        return super().call_at(when - EARLY_S, callback, *args, context=context)


@pytest.fixture
def releases(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[Release]]:
    seen: list[Release] = []
    release = PlaybackPacer.release

    def recorded(self: PlaybackPacer, now: float) -> Release:
        result = release(self, now)
        seen.append(result)
        return result

    monkeypatch.setattr(PlaybackPacer, "release", recorded)
    yield seen


def test_timers_that_fire_early_do_not_make_empty_releases(releases: list[Release]) -> None:
    with asyncio.Runner(loop_factory=EarlyTimerLoop) as runner:
        session = runner.run(_one_reply())
    assert session.finished == [1]
    useful = [r for r in releases if r.audio or r.words or r.finished]
    empty = len(releases) - len(useful)
    # About 1.2 s of audio: a refill every 160 ms and a word every 100 ms wake the player
    # by its timer. Only an input that brings nothing due yet makes an empty release;
    # pacing at the early time instead made about one per timer wake-up.
    assert len(useful) >= 12
    assert empty <= len(useful) // 4, (empty, len(useful))


async def _one_reply() -> ReplySession:
    assert isinstance(asyncio.get_running_loop(), EarlyTimerLoop)
    text = "One two three four five six seven eight nine ten eleven twelve."
    async with (
        TtsDouble(word_duration_s=0.1) as tts,
        LlmDouble([text]) as llm_server,
        LlmClient(llm_server.url) as llm,
    ):
        session = ReplySession(llm, tts.url)
        session.start_reply(1)
        assert session.reply is not None
        await asyncio.wait_for(session.reply.wait_closed(), GUARD_S)
    return session
