"""A reply's set-up: the LLM request goes out first, then the TTS stream opens.

Both are set up as the user's turn ends, on one event loop: the request is on the path to
the first word, while the TTS only has to be ready by then. So the TTS stream waits until
the request is written, or for the head start at most when the LLM is slow to reach.
"""

from __future__ import annotations

import asyncio
import contextlib
import socket
from collections.abc import AsyncGenerator, AsyncIterator, Callable
from typing import Any

import pytest

from backend.clients.llm import LlmClient
from backend.clients.llm_turn import TurnPiece
from backend.conversation import signals as sig
from tests.doubles.llm_double import LlmDouble
from tests.doubles.tts_double import TtsDouble
from tests.integration.reply_session import ReplySession

pytestmark = pytest.mark.integration

GUARD_S = 10
# Ample time for a TTS stream on loopback to open, were nothing holding it back.
TTS_WOULD_BE_OPEN_S = 0.3


class HeldLlmClient(LlmClient):
    """A real client whose requests wait for `release` before they are sent."""

    def __init__(self, url: str) -> None:
        super().__init__(url)
        self.release = asyncio.Event()
        self.tts_streams_when_sent: list[int] = []
        self.tts: TtsDouble | None = None

    async def stream_turn(
        self,
        messages: list[dict[str, Any]],
        *,
        on_request_sent: Callable[[], None] | None = None,
        **options: Any,
    ) -> AsyncGenerator[TurnPiece, None]:
        await self.release.wait()

        def sent() -> None:
            assert self.tts is not None
            self.tts_streams_when_sent.append(self.tts.streams_opened)
            if on_request_sent is not None:
                on_request_sent()

        async for piece in super().stream_turn(messages, on_request_sent=sent, **options):
            yield piece


async def _until(condition: Callable[[], bool]) -> None:
    async with asyncio.timeout(GUARD_S):
        while not condition():
            await asyncio.sleep(0.01)


@contextlib.asynccontextmanager
async def _reply_with_held_llm(
    head_start_s: float,
) -> AsyncIterator[tuple[ReplySession, HeldLlmClient, TtsDouble]]:
    """A reply started against a TTS double and an LLM whose request is held back."""
    async with (
        TtsDouble(word_duration_s=0.05) as tts,
        LlmDouble(["Hello there."]) as llm_server,
        HeldLlmClient(llm_server.url) as llm,
    ):
        llm.tts = tts
        session = ReplySession(llm, tts.url, llm_head_start_s=head_start_s)
        session.start_reply(1)
        yield session, llm, tts


async def test_the_tts_stream_opens_once_the_llm_request_is_written() -> None:
    async with _reply_with_held_llm(GUARD_S) as (session, llm, tts):
        await asyncio.sleep(TTS_WOULD_BE_OPEN_S)
        assert tts.streams_opened == 0, "the TTS stream waits for the LLM request"
        llm.release.set()
        assert session.reply is not None
        await asyncio.wait_for(session.reply.wait_closed(), GUARD_S)
    assert llm.tts_streams_when_sent == [0]
    assert tts.streams_opened == 1 and tts.words_received == ["Hello", "there."]
    assert session.audio_played.is_set() and session.finished == [1]


async def test_an_llm_slow_to_reach_holds_the_tts_back_no_longer_than_the_head_start() -> None:
    async with _reply_with_held_llm(0.05) as (session, llm, tts):
        await _until(lambda: tts.streams_opened == 1)
        llm.release.set()
        assert session.reply is not None
        await asyncio.wait_for(session.reply.wait_closed(), GUARD_S)
    assert llm.tts_streams_when_sent == [1], "the request went out after the TTS opened"
    assert session.audio_played.is_set() and session.finished == [1]


async def test_an_llm_that_cannot_be_reached_lets_the_failure_line_be_spoken() -> None:
    """The request never goes out (nothing listens), so only the LLM's failure can open
    the TTS before the head start ends: the user hears the failure line."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]  # closed again: nothing listens there
    async with (
        TtsDouble(word_duration_s=0.05) as tts,
        LlmClient(f"http://127.0.0.1:{port}", model="m") as llm,
    ):
        session = ReplySession(llm, tts.url, llm_head_start_s=GUARD_S)
        session.start_reply(1)
        assert session.reply is not None
        await asyncio.wait_for(session.reply.wait_closed(), GUARD_S / 2)
    assert [type(f) for f in session.failures] == [sig.LlmFailed]
    assert session.audio_played.is_set(), "the failure line was spoken"
