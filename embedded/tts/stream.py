"""One tts_streaming session: words in, word timestamps and 80 ms audio frames out.

Three tasks cooperate: a reader moves client frames into an inbox; the word taker
validates them and groups words into phrases (cutting on a timer when the LLM stalls);
the speaker synthesises phrases in order and sends the frames. Phrases are synthesised
while later words are still arriving, so audio starts long before `Eos`.

The stream owns its tasks (`run_with_companions`): the speaker runs to the end of the
audio with the other two beside it; a client leaving ends them all, and cancelling `run`
cancels them all and is never lost to a task's own error.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Awaitable, Callable, Sequence
from typing import Generic

from backend.companion_tasks import run_with_companions
from backend.speech_protocol.codec import Audio, Error, ProtocolError, encode
from backend.speech_protocol.tts_messages import Eos, ServerMessage, Voice, client_messages
from embedded.frame_connection import ClientLeft
from embedded.tts.framing import AudioFramer
from embedded.tts.metrics import TtsMetrics
from embedded.tts.phrasing import Phrase, PhraseChunker
from embedded.tts.synthesizer import Synthesizer, Utterance, VoiceT
from embedded.voice_cloning.profile import profile_from_voice_message

# Far longer than any real word; bounds what one message can make us synthesise.
MAX_WORD_CHARS = 100

Receive = Callable[[], Awaitable[bytes | str | None]]  # None once the client has left
Send = Callable[[bytes], Awaitable[None]]  # raises ClientLeft once the client has left


class TtsStream(Generic[VoiceT]):
    def __init__(
        self,
        *,
        engine: Synthesizer[VoiceT],
        voice: VoiceT,
        send: Send,
        metrics: TtsMetrics,
    ) -> None:
        self._engine = engine
        self._voice = voice
        self._send_frame = send
        self._metrics = metrics
        self._send_lock = asyncio.Lock()
        self._inbox: asyncio.Queue[bytes | str] = asyncio.Queue()
        self._phrases: asyncio.Queue[Phrase | None] = asyncio.Queue()
        self._chunker = PhraseChunker(engine.phrase_word_limits)
        self._framer = AudioFramer()
        self._first_word_at: float | None = None
        self._any_message_seen = False
        self._first_audio_at: float | None = None
        self._eos_received = False

    async def run(self, receive: Receive) -> None:
        """Serve the stream until its audio is complete after `Eos`, or the client leaves."""
        with contextlib.suppress(ClientLeft):
            # The reader runs until the audio is done, so that a client leaving after
            # Eos still stops the synthesis.
            await run_with_companions(self._speak(), self._read(receive), self._take_words())

    async def _read(self, receive: Receive) -> None:
        while (frame := await receive()) is not None:
            if not self._eos_received:  # later frames do not matter
                await self._inbox.put(frame)
        raise ClientLeft

    async def _take_words(self) -> None:
        while True:
            due = self._chunker.idle_cut_due_at()
            try:
                # asyncio.timeout, not wait_for: Python 3.11's wait_for can swallow a
                # cancellation that lands as the queue yields, leaving this task hanging.
                async with asyncio.timeout(None if due is None else due - time.monotonic()):
                    frame = await self._inbox.get()
            except TimeoutError:
                await self._queue(self._chunker.cut_if_idle(time.monotonic()))
                continue
            if not await self._handle(frame):
                break
        self._eos_received = True
        await self._queue(self._chunker.finish())
        await self._phrases.put(None)

    async def _handle(self, frame: bytes | str) -> bool:
        """Act on one client frame; False once it was `Eos`."""
        try:
            message = client_messages.decode(frame)
        except ProtocolError as error:
            await self._reject(str(error))
            return True
        first_message = not self._any_message_seen
        self._any_message_seen = True
        if isinstance(message, Eos):
            return False
        if isinstance(message, Voice):
            if not first_message:
                await self._reject("a Voice message must come before any other message")
            else:
                profile = profile_from_voice_message(message.embeddings, message.shape)
                # An embedding we cannot read (e.g. moshi's) still gets a voice.
                self._voice = (
                    self._engine.voice_for_profile(profile)
                    if profile
                    else self._engine.voice_for_id(None)
                )
            return True
        await self._take_text(message.text)
        return True

    async def _take_text(self, text: str) -> None:
        # One word per message by protocol; split anyway rather than speak "two words" as one.
        for word in text.split():
            if len(word) > MAX_WORD_CHARS:
                await self._reject(f"word longer than {MAX_WORD_CHARS} characters")
                continue
            now = time.monotonic()
            if self._first_word_at is None:
                self._first_word_at = now
            await self._queue(self._chunker.add_word(word, now))

    async def _queue(self, phrase: Phrase | None) -> None:
        if phrase is not None:
            await self._phrases.put(phrase)

    async def _reject(self, reason: str) -> None:
        self._metrics.malformed_frames.inc()
        await self._send([Error(reason)])

    async def _speak(self) -> None:
        # A phrase's pause is sent once we know more speech follows, or while we wait for it.
        pause_s = 0.0
        while True:
            if pause_s and self._phrases.empty():
                await self._send(self._framer.push_silence(pause_s))
                pause_s = 0.0
            phrase = await self._phrases.get()
            if phrase is None:
                break
            utterance = await self._engine.speak(
                phrase.words, self._voice, phrase.ending == "open", self._audio_runs_out_at()
            )
            self._observe_synthesis(utterance)
            messages = self._framer.push_silence(pause_s) if pause_s else []
            messages += self._framer.push(utterance.audio, utterance.words)
            pause_s = phrase.pause_after_s
            await self._send(messages)
        await self._send(self._framer.finish())

    def _audio_runs_out_at(self) -> float:
        """When the listener will have heard all the audio sent so far (now, before any):
        clients play it in real time from its first frame."""
        if self._first_audio_at is None:
            return time.monotonic()
        return self._first_audio_at + self._framer.pushed_s

    def _observe_synthesis(self, utterance: Utterance) -> None:
        if utterance.duration_s > 0:
            self._metrics.real_time_factor.observe(utterance.synthesis_s / utterance.duration_s)

    async def _send(self, messages: Sequence[ServerMessage]) -> None:
        for message in messages:
            if isinstance(message, Audio) and self._first_audio_at is None:
                self._first_audio_at = time.monotonic()
                if self._first_word_at is not None:
                    latency = self._first_audio_at - self._first_word_at
                    self._metrics.time_to_first_audio.observe(latency)
            async with self._send_lock:
                await self._send_frame(encode(message))
            # Some servers' sends never suspend; yield so a disconnect can stop us mid-phrase.
            await asyncio.sleep(0)
