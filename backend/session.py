"""One browser conversation: the thin adapter between the WebSocket and the core.

It decodes what the browser sends, streams the user's audio to the STT, feeds every
happening to the `Conversation` state machine with a timestamp, and carries out the
actions it returns. Everything the browser receives goes through one outbox, so events
keep the order the core decided.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import contextlib
import secrets
import time
from dataclasses import dataclass
from datetime import datetime

from fastapi import WebSocket
from pydantic import ValidationError
from starlette.websockets import WebSocketDisconnect, WebSocketState

from backend import metrics
from backend.audio.ogg import OggFormatError, OpusInputDecoder, OpusOutputEncoder
from backend.characters.prompts import is_goodbye, system_prompt
from backend.clients.speech_errors import SpeechServiceError
from backend.clients.stt import open_stt_stream
from backend.conversation import signals as sig
from backend.conversation.machine import Conversation
from backend.log_context import conversation_logger, enter_conversation, new_session_id
from backend.realtime import events as ev
from backend.realtime import public_errors
from backend.realtime.public_errors import InvalidRequest, PublicError
from backend.realtime.validation import describe_invalid_message
from backend.reply import Pcm, Reply, ReplyContext
from backend.services import Services
from backend.stt_link import SttLink, SttLost
from backend.voice_store import is_custom_voice

logger = conversation_logger(__name__)

MAX_MESSAGE_BYTES = 1_000_000  # a 20 ms Opus page is ~200 bytes; nothing legitimate is near this
MAX_OUTBOX_EVENTS = 2_000  # a browser this far behind is gone: stop buffering for it
TICK_S = 0.1  # how often the core gets to notice time passing (silence, flush timeout)


@dataclass(frozen=True)
class _CloseRequest:
    code: int
    reason: str


class ConversationSession:
    def __init__(self, websocket: WebSocket, services: Services) -> None:
        self.session_id = new_session_id()
        self._log_ids = enter_conversation(self.session_id)
        self._ws = websocket
        self._services = services
        self._core = Conversation(is_goodbye, services.settings.conversation_limits())
        self._decoder = OpusInputDecoder()
        self._encoder = OpusOutputEncoder()
        self._outbox: asyncio.Queue[ev.ServerEvent | _CloseRequest] = asyncio.Queue()
        settings = services.settings
        self._stt = SttLink(
            lambda: open_stt_stream(
                settings.stt_url, settings.speech_api_key, chooser=services.stt_nodes
            ),
            nodes=services.stt_nodes,
            on_step=self._stt_step,
            on_word=self._stt_word,
            on_restart=self._stt_restarted,
        )
        self._reply: Reply | None = None
        self._voice_embedding: bytes | None = None
        # Fixes the character's secrets (the hidden animal, the quiz theme) for the call.
        self._secret_seed = secrets.randbits(32)
        self._reply_ctx = ReplyContext(
            llm=services.llm,
            tts_spec=services.settings.tts_url,
            tts_nodes=services.tts_nodes,
            speech_api_key=services.settings.speech_api_key,
            dispatch=self._dispatch,
            play_audio=self._play_audio,
            end_audio=self._end_audio,
        )
        self._speech_stopped_at: float | None = None
        self._browser_gone = asyncio.Event()
        self._awaiting_first_audio = False

    async def run(self) -> None:
        """Serve the conversation until the browser leaves or the conversation ends."""
        started = time.monotonic()
        logger.info("conversation started")
        try:
            await self._serve()
        finally:
            logger.info("conversation over after %.1f s", time.monotonic() - started)

    async def _serve(self) -> None:
        try:
            await self._stt.open()
        except SpeechServiceError as error:
            logger.warning("no STT stream: %s", error)
            metrics.ERRORS.labels("stt_connect").inc()
            await self._fatal(public_errors.STT_UNAVAILABLE)
            return
        tasks: list[asyncio.Task[object]] = [
            asyncio.create_task(self._receive_from_browser(), name="browser-in"),
            asyncio.create_task(self._send_to_browser(), name="browser-out"),
            asyncio.create_task(self._stt.run(), name="stt"),
            asyncio.create_task(self._tick(), name="tick"),
        ]
        browser_gone = asyncio.create_task(self._browser_gone.wait(), name="browser-gone")
        tasks.append(browser_gone)
        try:
            done, _ = await asyncio.wait(tasks, return_when=asyncio.FIRST_COMPLETED)
            if browser_gone in done:
                logger.warning("closing a session whose browser stopped reading")
                metrics.ERRORS.labels("slow_client").inc()
                tasks[1].cancel()  # the sender may be stuck on a full socket
                await self._close(1008, "client is not reading its messages")
            for task in done:
                if not task.cancelled() and (failure := task.exception()) is not None:
                    raise failure
        except SttLost as error:
            logger.warning("STT lost for good: %s", error)
            await self._fatal(public_errors.STT_LOST)
        finally:
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)
            if self._reply is not None:
                self._reply.cancel()
                await self._reply.wait_closed()
            await self._stt.aclose()

    def go_away(self) -> None:
        """The server is shutting down: close with 1001 so the browser reconnects elsewhere."""
        self._outbox.put_nowait(_CloseRequest(1001, "server restarting, please reconnect"))

    # --- browser → backend ------------------------------------------------------------

    async def _receive_from_browser(self) -> None:
        while True:
            try:
                message = await self._ws.receive()
            except WebSocketDisconnect:
                return
            if message["type"] == "websocket.disconnect":
                return
            text = message.get("text")
            if text is None:
                self._invalid(
                    InvalidRequest.BINARY_FRAME,
                    "Binary frames are not supported: send JSON text frames.",
                )
                continue
            if len(text) > MAX_MESSAGE_BYTES:
                self._invalid(
                    InvalidRequest.MESSAGE_TOO_LARGE,
                    f"Message too large ({len(text)} bytes, at most {MAX_MESSAGE_BYTES}).",
                )
                continue
            try:
                event = ev.client_event_adapter.validate_json(text)
            except ValidationError as error:
                self._invalid(InvalidRequest.INVALID_MESSAGE, describe_invalid_message(error))
                continue
            match event:
                case ev.SessionUpdate():
                    self._update_session(event.session)
                case ev.InputAudioBufferAppend():
                    self._append_audio(event.audio)
                case ev.InputAudioBufferAppendAnonymized():
                    pass  # accepted and ignored, as the protocol says

    def _update_session(self, requested: ev.SessionConfig) -> None:
        catalog = self._services.catalog
        voice = requested.voice or catalog.default_voice().voice_id
        if is_custom_voice(voice):
            embedding = self._services.voices.get(voice)
            if embedding is None:
                self._invalid(
                    InvalidRequest.UNKNOWN_VOICE,
                    f"Unknown or expired custom voice {voice!r}.",
                    param="session.voice",
                )
                return
            self._voice_embedding = embedding
        else:
            self._voice_embedding = None
        character = catalog.find_by_voice(voice)
        instructions = requested.instructions or (
            character.instructions if character else ev.SmalltalkInstructions()
        )
        session = ev.SessionConfig(
            instructions=instructions, voice=voice, allow_recording=requested.allow_recording
        )
        prompt = system_prompt(
            instructions, now=datetime.now().astimezone(), secret_seed=self._secret_seed
        )
        self._send(ev.SessionUpdated(session=session))
        self._dispatch(sig.SessionConfigured(time.monotonic(), prompt, voice))

    def _append_audio(self, audio_b64: str) -> None:
        try:
            data = base64.b64decode(audio_b64, validate=True)
        except (binascii.Error, ValueError):
            self._invalid(
                InvalidRequest.INVALID_AUDIO, "`audio` is not valid base64.", param="audio"
            )
            return
        try:
            pcm = self._decoder.feed(data)
        except OggFormatError as error:
            self._invalid(
                InvalidRequest.INVALID_AUDIO,
                f"`audio` is not a valid Ogg Opus stream: {error}",
                param="audio",
            )
            return
        if pcm.size:
            self._stt.send_audio(pcm)
            self._dispatch(sig.UserAudio(time.monotonic(), int(pcm.size)))

    def _invalid(self, code: str, message: str, *, param: str | None = None) -> None:
        """Refuse a client message, saying what is wrong with it (its own data only)."""
        metrics.INVALID_REQUESTS.inc()
        self._send(ev.error_event("invalid_request_error", message, code=code, param=param))

    # --- STT → core -------------------------------------------------------------------

    def _stt_step(self, step_idx: int, pause_probability: float) -> None:
        self._dispatch(sig.SttStep(time.monotonic(), step_idx, pause_probability))

    def _stt_word(self, text: str, start_time: float) -> None:
        self._dispatch(sig.SttWord(time.monotonic(), text, start_time))

    def _stt_restarted(self, detail: str) -> None:
        logger.info("STT stream replaced: %s", detail)
        self._send(public_errors.STT_INTERRUPTED.event("warning"))

    async def _tick(self) -> None:
        while True:
            await asyncio.sleep(TICK_S)
            self._dispatch(sig.Tick(time.monotonic()))

    # --- core → world -----------------------------------------------------------------

    def _dispatch(self, signal: sig.Input) -> None:
        for action in self._core.handle(signal):
            match action:
                case sig.Emit(event):
                    self._observe(event, signal.t)
                    self._send(event)
                case sig.FlushStt(samples):
                    self._stt.send_silence(samples)
                case sig.StartReply():
                    self._log_ids.turn_id = action.response_id
                    if self._reply is not None:
                        self._reply.cancel()
                    self._awaiting_first_audio = True
                    self._reply = Reply(
                        self._reply_ctx,
                        action.response_id,
                        action.messages,
                        action.temperature,
                        action.voice,
                        self._voice_embedding,
                    )
                case sig.SpeakWord(rid, text):
                    if self._reply is not None and self._reply.response_id == rid:
                        self._reply.speak(text)
                case sig.EndOfReplyText(rid):
                    if self._reply is not None and self._reply.response_id == rid:
                        self._reply.end_text()
                case sig.CancelReply(rid):
                    metrics.INTERRUPTIONS.inc()
                    if self._reply is not None and self._reply.response_id == rid:
                        self._reply.cancel()
                case sig.Close(code, reason):
                    self._outbox.put_nowait(_CloseRequest(code, reason))

    def _observe(self, event: ev.ServerEvent, t: float) -> None:
        if isinstance(event, ev.SpeechStopped):
            self._speech_stopped_at = t
        elif isinstance(event, ev.ResponseCreated) and self._speech_stopped_at is not None:
            metrics.RESPONSE_START.observe(t - self._speech_stopped_at)

    def _play_audio(self, pcm: Pcm) -> None:
        if self._awaiting_first_audio:
            self._awaiting_first_audio = False
            if self._speech_stopped_at is not None:
                metrics.VOICE_TO_VOICE.observe(time.monotonic() - self._speech_stopped_at)
                self._speech_stopped_at = None
        self._send_audio(self._encoder.encode(pcm))

    def _end_audio(self) -> None:
        self._send_audio(self._encoder.flush())

    def _send_audio(self, pages: bytes) -> None:
        if pages:
            self._send(ev.ResponseAudioDelta(delta=base64.b64encode(pages).decode("ascii")))

    # --- backend → browser ------------------------------------------------------------

    def _send(self, event: ev.ServerEvent) -> None:
        if self._outbox.qsize() >= MAX_OUTBOX_EVENTS:
            self._browser_gone.set()  # stop buffering for a browser that stopped reading
            return
        self._outbox.put_nowait(event)

    async def _send_to_browser(self) -> None:
        while True:
            item = await self._outbox.get()
            if isinstance(item, _CloseRequest):
                await self._close(item.code, item.reason)
                return
            try:
                await self._ws.send_text(item.model_dump_json())
            except (WebSocketDisconnect, RuntimeError):
                return

    async def _fatal(self, why: PublicError) -> None:
        with contextlib.suppress(WebSocketDisconnect, RuntimeError):
            await self._ws.send_text(why.event("fatal").model_dump_json())
        await self._close(1011, why.message)

    async def _close(self, code: int, reason: str) -> None:
        if self._ws.client_state is WebSocketState.CONNECTED:
            with contextlib.suppress(WebSocketDisconnect, RuntimeError):
                await self._ws.close(code, reason[:120])
