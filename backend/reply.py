"""One bot reply in flight: LLM words → TTS → audio and subtitles released in real time.

A `Reply` runs three tasks — generate (LLM), synthesise (TTS) and play (the real-time
pacer) — and reports what happens to the conversation core through `dispatch`. The core
decides what each word means; this module only moves data and keeps time.

The user hears the reply within the session's reply deadline, or is told which part
failed (`FirstAudioWatch`). The session's replies share its task owner and TTS slot, so a
replaced reply has closed its TTS stream before the next one opens its own.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import numpy.typing as npt

from backend.alarm import Alarm
from backend.clients.instances import InstanceChooser
from backend.clients.llm import LlmClient, LlmError, LlmUsage, ToolCall, ToolCallDelta
from backend.companion_tasks import TaskOwner
from backend.conversation.signals import (
    BotWordSpoken,
    Input,
    LlmDone,
    LlmFailed,
    LlmToolCall,
    LlmToolCallDelta,
    LlmWord,
    PlaybackFinished,
    TtsFailed,
)
from backend.deadline import DEFAULT_REPLY_DEADLINE_S, Deadline, FirstAudioWatch, Late
from backend.log_context import conversation_logger, turn_context
from backend.metrics import BackendMetrics
from backend.playback import PlaybackPacer
from backend.reply_options import ReplyOptions
from backend.speech_out import SpeechOut
from backend.speech_protocol.constants import FRAME_SAMPLES
from backend.text.spoken_words import SpokenWord, SpokenWords
from backend.text_only_speech import TextOnlySpeech

logger = conversation_logger(__name__)

Pcm = npt.NDArray[np.float32]
SILENT_TURN_SAMPLES = FRAME_SAMPLES  # 80 ms
# The TTS stream opens once the LLM request is written (a few milliseconds in), so the
# two set-ups do not take turns on the event loop while the request is on the critical
# path; the TTS is still ready long before the first word. An LLM slower to reach (a
# new connection, TLS) holds the TTS back no longer than this.
LLM_REQUEST_HEAD_START_S = 0.05


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
    metrics: BackendMetrics
    # From the end of the user's turn to the bot's first audio (UNMUTE_REPLY_DEADLINE_S).
    reply_deadline_s: float = DEFAULT_REPLY_DEADLINE_S
    llm_head_start_s: float = LLM_REQUEST_HEAD_START_S
    # One per session, shared by its replies: every reply task, and the one TTS slot.
    tasks: TaskOwner = field(default_factory=TaskOwner)
    tts_slot: asyncio.Lock = field(default_factory=asyncio.Lock)


class Reply:
    def __init__(
        self,
        ctx: ReplyContext,
        response_id: int,
        messages: list[dict[str, Any]],
        temperature: float,
        voice: str,
        voice_embedding: bytes | None,
        options: ReplyOptions | None = None,
    ) -> None:
        self.response_id = response_id
        self._ctx = ctx
        self._options = options or ReplyOptions()
        self.usage: LlmUsage | None = None  # the LLM's token counts, when asked for them
        self._pacer = PlaybackPacer()
        self._wake = Alarm()  # the player's: an input, or the pacer's next time
        self._llm_request_sent = asyncio.Event()
        self._first_audio = FirstAudioWatch(Deadline.after(ctx.reply_deadline_s, time.monotonic()))
        self._speech: SpeechOut | TextOnlySpeech = SpeechOut(
            spec=ctx.tts_spec,
            nodes=ctx.tts_nodes,
            metrics=ctx.metrics,
            api_key=ctx.speech_api_key,
            voice=voice,
            voice_embedding=voice_embedding,
            pacer=self._pacer,
            wake=self._wake.set,
            slot=ctx.tts_slot,
            first_audio_by=self._first_audio.deadline,
        )
        if not self._options.spoken:
            self._speech = TextOnlySpeech(pacer=self._pacer, wake=self._wake.set)
        self._cancelled = False
        self._audio_played = False
        # Each task logs with this reply's turn id (see `log_context`).
        self._tasks = [
            ctx.tasks.spawn(coroutine, context=turn_context(response_id))
            for coroutine in (
                self._generate(messages, temperature),
                self._synthesize(),
                self._play(),
            )
        ]

    def speak(self, word: str) -> None:
        self._first_audio.llm_answered()  # a word of the LLM's, or the core's failure line
        self._speech.speak(word)

    def end_text(self) -> None:
        self._speech.end()

    def cancel(self) -> None:
        if self._cancelled:  # a second cancel would cut short the TTS stream's close
            return
        self._cancelled = True  # checked by the playback loop too: no audio after this
        for task in self._tasks:
            task.cancel()

    async def wait_closed(self) -> None:
        """Until this reply, and every reply of the session it replaced, has ended."""
        await asyncio.gather(*self._tasks, return_exceptions=True)
        await self._ctx.tasks.wait()

    # --- LLM --------------------------------------------------------------------------

    async def _generate(self, messages: list[dict[str, Any]], temperature: float) -> None:
        rid, dispatch = self.response_id, self._ctx.dispatch
        first_word = self._ctx.metrics.llm_first_word
        started = time.monotonic()
        first = True
        words = SpokenWords()

        def forward(spoken: list[SpokenWord]) -> None:
            nonlocal first
            for word in spoken:
                if first:
                    first_word.observe(time.monotonic() - started)
                    first = False
                dispatch(LlmWord(time.monotonic(), rid, word.text, word.separator))

        try:
            stream = self._ctx.llm.stream_turn(
                messages,
                temperature=temperature,
                tools=self._options.tools,
                tool_choice=self._options.tool_choice,
                include_usage=self._options.report_usage,
                on_request_sent=self._llm_request_sent.set,
            )
            async with contextlib.aclosing(stream) as deltas:
                async for delta in deltas:
                    if isinstance(delta, LlmUsage):
                        self.usage = delta
                    elif isinstance(delta, ToolCall):
                        forward(words.flush())
                        call = LlmToolCall(
                            time.monotonic(), rid, delta.call_id, delta.name, delta.arguments
                        )
                        dispatch(call)
                    elif isinstance(delta, ToolCallDelta):
                        piece = LlmToolCallDelta(
                            time.monotonic(), rid, delta.call_id, delta.name, delta.arguments
                        )
                        dispatch(piece)
                    else:
                        forward(words.push(delta))
            forward(words.flush())
        except LlmError as error:
            logger.warning("LLM failed: %s", error)
            self._ctx.metrics.errors.labels("llm").inc()
            dispatch(LlmFailed(time.monotonic(), rid))
            return
        finally:
            self._llm_request_sent.set()  # a failure line still needs the TTS
        dispatch(LlmDone(time.monotonic(), rid))

    # --- TTS --------------------------------------------------------------------------

    async def _synthesize(self) -> None:
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(self._ctx.llm_head_start_s):
                await self._llm_request_sent.wait()
        failure = await self._speech.run()
        if failure is not None:
            logger.warning("TTS gave up on the reply: %s", failure)
            self._first_audio.tts_gave_up()
            self._ctx.dispatch(TtsFailed(time.monotonic(), self.response_id))

    # --- real-time playback -----------------------------------------------------------

    async def _play(self) -> None:
        rid, dispatch = self.response_id, self._ctx.dispatch
        timer_due: float | None = None  # when the timer that woke the player was due
        while not self._cancelled:
            now = time.monotonic()
            # The loop's timers fire up to a millisecond early (a third of them under
            # uvloop): pace as at the time asked for, or the release finds nothing due yet
            # and the player wakes again straight after, for nothing.
            pacer_now = now if timer_due is None else max(now, timer_due)
            released = self._pacer.release(pacer_now)
            if released.audio:
                self._audio_played = True
                # One send for the whole release (a refill is several TTS frames): the
                # browser gets the same audio in fewer, larger deltas.
                self._ctx.play_audio(_joined(released.audio))
            for word in released.words:
                dispatch(BotWordSpoken(now, rid, word))
            if released.audio or released.words:
                self._first_audio.audio_heard()
            elif (late := self._first_audio.check(now)) is not None:
                self._missed_deadline(late, now)
            if released.finished:
                if not self._audio_played:
                    # The TTS gave nothing: a turn still carries audio, as clients expect.
                    self._ctx.play_audio(np.zeros(SILENT_TURN_SAMPLES, dtype=np.float32))
                self._ctx.end_audio()
                dispatch(PlaybackFinished(now, rid))
                return
            wake_at = _sooner(self._pacer.next_wakeup(pacer_now), self._first_audio.next_check_at())
            timeout = None if wake_at is None else max(0.0, wake_at - now)
            timer_due = wake_at if await self._wake.wait(timeout) else None

    def _missed_deadline(self, late: Late, now: float) -> None:
        """Stop the late part and tell the core, which tells the user (the failure path)."""
        logger.warning("no audio %.1f s into the reply: %s", self._ctx.reply_deadline_s, late.value)
        self._ctx.metrics.errors.labels("reply_deadline").inc()
        generate, synthesize, _ = self._tasks
        if late is Late.LLM:
            generate.cancel()  # the core speaks its failure line instead
            self._ctx.dispatch(LlmFailed(now, self.response_id))
        else:
            synthesize.cancel()  # its stream closes; the turn ends with what was spoken
            self._pacer.end_of_audio()
            self._ctx.dispatch(TtsFailed(now, self.response_id))


def _joined(chunks: list[Pcm]) -> Pcm:
    return chunks[0] if len(chunks) == 1 else np.concatenate(chunks)


def _sooner(a: float | None, b: float | None) -> float | None:
    return b if a is None else a if b is None else min(a, b)
