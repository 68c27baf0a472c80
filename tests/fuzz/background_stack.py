"""A backend with scripted speech and LLM servers, running in a thread of its own, so that
tests driven by Hypothesis (one event loop per example) can share it."""

from __future__ import annotations

import asyncio
import threading
import time
from contextlib import AsyncExitStack
from typing import Any

from backend.services import Services
from tests.doubles.llm_double import LlmDouble
from tests.doubles.stt_double import SttDouble
from tests.doubles.tts_double import TtsDouble
from tests.integration.backend_server import backend_app_in_process

SESSION_END_GUARD_S = 10.0  # far longer than a session takes to end once its client left


class BackgroundStack:
    def __init__(self, **settings: Any) -> None:
        self._settings = settings
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, daemon=True)
        self._exits: AsyncExitStack | None = None
        self.address = ""
        self.services: Services | None = None
        # The scripted servers, for tests that change how they behave between examples.
        self.stt: SttDouble | None = None
        self.tts: TtsDouble | None = None
        self.llm: LlmDouble | None = None

    def __enter__(self) -> BackgroundStack:
        self._thread.start()
        asyncio.run_coroutine_threadsafe(self._start(), self._loop).result(timeout=30)
        return self

    def __exit__(self, *exc: object) -> None:
        asyncio.run_coroutine_threadsafe(self._stop(), self._loop).result(timeout=30)
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(timeout=10)

    async def _start(self) -> None:
        self._exits = AsyncExitStack()
        stt = await self._exits.enter_async_context(SttDouble(slots=64))
        tts = await self._exits.enter_async_context(TtsDouble(slots=64, word_duration_s=0.05))
        llm = await self._exits.enter_async_context(LlmDouble(lambda _: "Hi."))
        self.stt, self.tts, self.llm = stt, tts, llm
        self.address, app = await self._exits.enter_async_context(
            backend_app_in_process(
                stt_url=stt.url, tts_url=tts.url, llm_url=llm.url, max_sessions=64, **self._settings
            )
        )
        self.services = app.state.services

    async def _stop(self) -> None:
        assert self._exits is not None
        await self._exits.aclose()

    @property
    def sessions_in_use(self) -> int:
        assert self.services is not None
        return self.services.seats.in_use

    def sessions_left(self) -> int:
        """Sessions still holding a seat once every client has left: they get a moment to
        end (up to a guard), a leaked one stays counted."""
        deadline = time.monotonic() + SESSION_END_GUARD_S
        while self.sessions_in_use and time.monotonic() < deadline:
            time.sleep(0.01)
        return self.sessions_in_use
