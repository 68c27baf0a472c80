"""One bot reply in flight: LLM words → TTS → audio and subtitles released in real time.

A `Reply` runs three tasks — generate (LLM), synthesise (TTS) and play (the real-time
pacer) — and reports what happens to the conversation core through `dispatch`. The core
decides what each word means; this module only moves data and keeps time.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from backend import metrics
from backend.clients.instances import InstanceChooser
from backend.clients.llm import LlmClient, LlmError
from backend.conversation.signals import (
    BotWordSpoken,
    Input,
    LlmDone,
    LlmFailed,
    LlmWord,
    PlaybackFinished,
    TtsFailed,
)
from backend.log_context import conversation_logger, turn_context
from backend.playback import PlaybackPacer
from backend.speech_out import SpeechOut
from backend.text.cleanup import clean_for_speech
from backend.text.rechunk import WordRechunker

logger = conversation_logger(__name__)

Pcm = npt.NDArray[np.float32]
SILENT_TURN_SAMPLES = 1920  # 80 ms


@dataclass(frozen=True)
class ReplyContext:
    """What a reply needs from its session."""

    llm: LlmClient
    tts_spec: str
    tts_nodes: InstanceChooser
    speech_api_key: str
    dispatch: Callable[[Input], None]
    play_audio: Callable[[Pcm], None]  # encode and send to the browser
    end_audio: Callable[[], None]  # the reply's audio is complete: flush the encoder


class Reply:
    def __init__(
        self,
        ctx: ReplyContext,
        response_id: int,
        messages: list[dict[str, str]],
        temperature: float,
        voice: str,
        voice_embedding: bytes | None,
    ) -> None:
        self.response_id = response_id
        self._ctx = ctx
        self._pacer = PlaybackPacer()
        self._wake = asyncio.Event()
        self._speech = SpeechOut(
            spec=ctx.tts_spec,
            nodes=ctx.tts_nodes,
            api_key=ctx.speech_api_key,
            voice=voice,
            voice_embedding=voice_embedding,
            pacer=self._pacer,
            wake=self._wake.set,
        )
        self._cancelled = False
        self._audio_played = False
        # Each task logs with this reply's turn id (see `log_context`).
        self._tasks = [
            asyncio.create_task(coroutine, context=turn_context(response_id))
            for coroutine in (
                self._generate(messages, temperature),
                self._synthesize(),
                self._play(),
            )
        ]

    def speak(self, word: str) -> None:
        self._speech.speak(word)

    def end_text(self) -> None:
        self._speech.end()

    def cancel(self) -> None:
        self._cancelled = True  # checked by the playback loop too: no audio after this
        for task in self._tasks:
            task.cancel()

    async def wait_closed(self) -> None:
        await asyncio.gather(*self._tasks, return_exceptions=True)

    # --- LLM --------------------------------------------------------------------------

    async def _generate(self, messages: list[dict[str, str]], temperature: float) -> None:
        rid, dispatch = self.response_id, self._ctx.dispatch
        started = time.monotonic()
        first = True
        rechunker = WordRechunker()

        def forward(words: list[str]) -> None:
            nonlocal first
            for word in words:
                spoken = clean_for_speech(word)
                if not spoken:
                    continue
                if first:
                    metrics.LLM_FIRST_WORD.observe(time.monotonic() - started)
                    first = False
                dispatch(LlmWord(time.monotonic(), rid, spoken))

        try:
            stream = self._ctx.llm.stream_reply(messages, temperature=temperature)
            async with contextlib.aclosing(stream) as deltas:
                async for delta in deltas:
                    forward(rechunker.push(delta))
            forward(rechunker.flush())
        except LlmError as error:
            logger.warning("LLM failed: %s", error)
            metrics.ERRORS.labels("llm").inc()
            dispatch(LlmFailed(time.monotonic(), rid))
            return
        dispatch(LlmDone(time.monotonic(), rid))

    # --- TTS --------------------------------------------------------------------------

    async def _synthesize(self) -> None:
        failure = await self._speech.run()
        if failure is not None:
            logger.warning("TTS gave up on the reply: %s", failure)
            self._ctx.dispatch(TtsFailed(time.monotonic(), self.response_id))

    # --- real-time playback -----------------------------------------------------------

    async def _play(self) -> None:
        rid, dispatch = self.response_id, self._ctx.dispatch
        while not self._cancelled:
            now = time.monotonic()
            released = self._pacer.release(now)
            for chunk in released.audio:
                self._audio_played = True
                self._ctx.play_audio(chunk)
            for word in released.words:
                dispatch(BotWordSpoken(now, rid, word))
            if released.finished:
                if not self._audio_played:
                    # The TTS gave nothing: a turn still carries audio, as clients expect.
                    self._ctx.play_audio(np.zeros(SILENT_TURN_SAMPLES, dtype=np.float32))
                self._ctx.end_audio()
                dispatch(PlaybackFinished(now, rid))
                return
            wake_at = self._pacer.next_wakeup(now)
            self._wake.clear()
            timeout = None if wake_at is None else max(0.0, wake_at - now)
            # asyncio.timeout, not wait_for: on 3.11 wait_for can swallow a cancellation
            # that coincides with the wake-up, and the reply would play on.
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(timeout):
                    await self._wake.wait()
