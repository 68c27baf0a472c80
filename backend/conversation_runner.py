"""One conversation over a WebSocket, whatever its protocol: the core and the speech adapters.

It streams the user's audio to the STT, feeds every happening to the `Conversation` state
machine with a timestamp, and carries out the actions it returns: STT flushes, bot replies
(LLM → TTS → paced audio), closes. Everything the client receives goes through one
`ClientOutbox`, so events keep the order the core decided: most are written at once
(`send_text_now`, about 20 a second), and wait for the sender task while the socket does
not keep up. A protocol adapter (the Unmute browser protocol in `backend.session`,
OpenAI's Realtime API in `backend.openai_realtime`) subclasses it to read the client's
messages and to say the core's events in its own words.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from abc import ABC, abstractmethod
from dataclasses import dataclass
from typing import Any

from fastapi import WebSocket
from pydantic import BaseModel
from starlette.websockets import WebSocketDisconnect, WebSocketState

from backend.clients.speech_errors import SpeechServiceError
from backend.clients.stt import open_stt_stream
from backend.conversation import signals as sig
from backend.conversation.machine import Conversation, Phase
from backend.log_context import conversation_logger, enter_conversation, new_session_id
from backend.outbox import ClientOutbox
from backend.realtime import events as ev
from backend.realtime import public_errors
from backend.realtime.browser_websocket import (
    connection_lost_of,
    receive_each,
    send_text_now_of,
)
from backend.realtime.public_errors import PublicError
from backend.reply import Pcm, Reply, ReplyContext
from backend.reply_options import ReplyOptions
from backend.services import Services
from backend.stt_link import SttLink, SttLost
from backend.ticker import Ticker

logger = conversation_logger(__name__)

MAX_OUTBOX_EVENTS = 2_000  # a client this far behind is gone: stop buffering for it
TICK_S = 0.1  # how often, at least, the core notices time passing (silence, flush timeout)
GONE_CLIENT_CLOSE_S = 1.0  # the wait for a close frame to a client that stopped reading


@dataclass(frozen=True)
class _CloseRequest:
    code: int
    reason: str


@dataclass(frozen=True)
class ReplySetup:
    """How the adapter wants a reply the core started to be made."""

    messages: list[dict[str, Any]]
    voice_embedding: bytes | None = None
    options: ReplyOptions | None = None


class ConversationRunner(ABC):
    def __init__(self, websocket: WebSocket, services: Services, core: Conversation) -> None:
        self.session_id = new_session_id()
        self._log_ids = enter_conversation(self.session_id)
        self._ws = websocket
        self._services = services
        self._metrics = services.metrics
        self._core = core
        self._send_text_now = send_text_now_of(websocket)
        # Events serialized once, as `_send` takes them: written now or queued as text.
        self._outbox: ClientOutbox[str | _CloseRequest] = ClientOutbox(self._write_now)
        settings = services.settings
        self._stt = SttLink(
            lambda: open_stt_stream(
                settings.stt_url, settings.speech_api_key, chooser=services.stt_nodes
            ),
            nodes=services.stt_nodes,
            metrics=services.metrics,
            on_step=self._stt_step,
            on_word=self._stt_word,
            on_restart=self._stt_restarted,
        )
        self._reply: Reply | None = None
        self._reply_ctx = ReplyContext(
            llm=services.llm,
            tts_spec=services.settings.tts_url,
            tts_nodes=services.tts_nodes,
            speech_api_key=services.settings.speech_api_key,
            dispatch=self._dispatch,
            play_audio=self._play_reply_audio,
            end_audio=self._end_audio,
            metrics=services.metrics,
            reply_deadline_s=services.settings.reply_deadline_s,
        )
        self._turn_ended_at: float | None = None  # of the turn the current reply answers
        self._client_gone = asyncio.Event()
        self._awaiting_first_audio = False
        self._ticker = Ticker(TICK_S, self._tick)

    # --- what a protocol adapter provides ----------------------------------------------

    @abstractmethod
    def _on_client_message(self, message: str | bytes) -> None:
        """One of the client's messages: its text, or its bytes for a binary frame."""

    @abstractmethod
    def _emit(self, event: ev.ServerEvent) -> None:
        """Tell the client about one of the core's events, in the protocol's words."""

    @abstractmethod
    def _reply_setup(self, action: sig.StartReply) -> ReplySetup:
        """The LLM messages and options of a reply the core just started."""

    @abstractmethod
    def _play_audio(self, pcm: Pcm) -> None:
        """Send the bot's voice (24 kHz float PCM) to the client."""

    @abstractmethod
    def _end_audio(self) -> None:
        """The reply's audio is complete."""

    @abstractmethod
    def _error_event(self, why: PublicError, kind: str) -> BaseModel:
        """The protocol's error event for a `fatal` or `warning` the server reports."""

    @abstractmethod
    def _on_protocol_action(
        self, action: sig.UserTurnFinal | sig.ToolCallMade | sig.ToolCallProgress
    ) -> None:
        """Actions only some protocols have words for."""

    def _abandon_tool_calls(self, response_id: int) -> None:  # noqa: B027 (most run none)
        """Stop the tools this adapter runs for the reply (a barge-in cut it short)."""

    def _serialize(self, event: BaseModel) -> str:
        return event.model_dump_json()

    # --- the conversation's life ----------------------------------------------------------

    async def run(self) -> None:
        """Serve the conversation until the client leaves or the conversation ends."""
        started = time.monotonic()
        logger.info("conversation started")
        try:
            await self._serve()
        finally:
            logger.info("conversation over after %.1f s", time.monotonic() - started)

    async def _serve(self) -> None:
        try:
            opened = await self._open_stt_unless_client_leaves()
        except SpeechServiceError as error:
            logger.warning("no STT stream: %s", error)
            self._metrics.errors.labels("stt_connect").inc()
            await self._fatal(public_errors.STT_UNAVAILABLE)
            return
        if not opened:
            logger.info("the client left while its STT stream was opening")
            return
        self._on_started()
        tasks: list[asyncio.Task[object]] = [
            asyncio.create_task(receive_each(self._ws, self._on_client_message), name="client-in"),
            asyncio.create_task(self._send_to_client(), name="client-out"),
            asyncio.create_task(self._stt.run(), name="stt"),
            asyncio.create_task(self._ticker.run(), name="tick"),
        ]
        client_gone = asyncio.create_task(self._client_gone.wait(), name="client-gone")
        tasks.append(client_gone)
        try:
            done, _ = await asyncio.wait(tasks, return_when=asyncio.FIRST_COMPLETED)
            if client_gone in done:
                logger.warning("closing a session whose client stopped reading")
                self._metrics.errors.labels("slow_client").inc()
                tasks[1].cancel()  # the sender may be stuck on a full socket
                # The close frame waits behind what the client left unread: bounded, so
                # the seat is freed (uvicorn then closes the connection).
                with contextlib.suppress(TimeoutError):
                    async with asyncio.timeout(GONE_CLIENT_CLOSE_S):
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

    async def _open_stt_unless_client_leaves(self) -> bool:
        """Open the STT stream; False, the open cancelled, when the client's connection is
        lost first. An open can take seconds (every node busy, retried until
        `STT_OPEN_WITHIN_S`), and meanwhile the seat would be held for a client gone."""
        wait_lost = connection_lost_of(self._ws)
        if wait_lost is None:  # another server than ours (tests' own)
            await self._stt.open()
            return True
        opening = asyncio.create_task(self._stt.open(), name="stt-open")
        lost = asyncio.create_task(wait_lost(), name="client-lost")
        try:
            await asyncio.wait((opening, lost), return_when=asyncio.FIRST_COMPLETED)
        finally:
            lost.cancel()
            if not opening.done():
                opening.cancel()
                await asyncio.gather(opening, return_exceptions=True)
        if opening.cancelled():
            return False
        opening.result()  # raises what the open raised
        return True

    @abstractmethod
    def _on_started(self) -> None:
        """The STT stream is open; the conversation is about to run."""

    def go_away(self) -> None:
        """The server is shutting down: close with 1001 so the client reconnects elsewhere."""
        self._outbox.put_queued(_CloseRequest(1001, "server restarting, please reconnect"))

    # --- STT → core -------------------------------------------------------------------

    def _stt_step(self, step_idx: int, pause_probability: float) -> None:
        now = time.monotonic()
        self._dispatch(sig.SttStep(now, step_idx, pause_probability))
        self._ticker.nudge(now)

    def _stt_word(self, text: str, start_time: float) -> None:
        self._dispatch(sig.SttWord(time.monotonic(), text, start_time))

    def _stt_restarted(self, detail: str) -> None:
        logger.info("STT stream replaced: %s", detail)
        self._send(self._error_event(public_errors.STT_INTERRUPTED, "warning"))

    def _tick(self, now: float) -> None:
        if self._core.phase is Phase.REPLYING:
            # Time changes nothing while the bot replies (the core's `_on_tick`): no ticks
            # until an input ends the reply (see `_dispatch`).
            self._ticker.pause()
            return
        self._dispatch(sig.Tick(now))

    # --- core → world -----------------------------------------------------------------

    def _dispatch(self, signal: sig.Input) -> None:
        for action in self._core.handle(signal):
            match action:
                case sig.Emit(event):
                    self._emit(event)
                case sig.FlushStt(samples):
                    self._stt.send_silence(samples)
                case sig.StartReply():
                    self._start_reply(action, signal.t)
                case sig.SpeakWord(rid, text):
                    if self._reply is not None and self._reply.response_id == rid:
                        self._reply.speak(text)
                case sig.EndOfReplyText(rid):
                    if self._reply is not None and self._reply.response_id == rid:
                        self._reply.end_text()
                case sig.CancelReply(rid):
                    self._metrics.interruptions.inc()
                    if self._reply is not None and self._reply.response_id == rid:
                        self._reply.cancel()
                case sig.Close(code, reason):
                    self._outbox.put_queued(_CloseRequest(code, reason))
                case sig.UserTurnFinal() | sig.ToolCallMade() | sig.ToolCallProgress():
                    self._on_protocol_action(action)
                case sig.AbandonToolCalls(rid):
                    self._abandon_tool_calls(rid)
        if self._ticker.paused and self._core.phase is not Phase.REPLYING:
            self._ticker.resume()

    def _start_reply(self, action: sig.StartReply, t: float) -> None:
        self._log_ids.turn_id = action.response_id
        if self._reply is not None:
            self._reply.cancel()
        # The user waits from the end of their turn; a reply nobody asked for is not timed.
        self._turn_ended_at = action.turn_ended_at
        if action.turn_ended_at is not None:
            self._metrics.response_start.observe(t - action.turn_ended_at)
        self._awaiting_first_audio = True
        setup = self._reply_setup(action)
        self._reply = Reply(
            self._reply_ctx,
            action.response_id,
            setup.messages,
            action.temperature,
            action.voice,
            setup.voice_embedding,
            setup.options,
        )

    def _play_reply_audio(self, pcm: Pcm) -> None:
        if self._awaiting_first_audio:
            self._awaiting_first_audio = False
            if self._turn_ended_at is not None:
                self._metrics.voice_to_voice.observe(time.monotonic() - self._turn_ended_at)
        self._play_audio(pcm)

    # --- backend → client -------------------------------------------------------------

    def _write_now(self, item: str | _CloseRequest) -> bool:
        send_now = self._send_text_now  # None under another server than ours (tests' own)
        if send_now is None or not isinstance(item, str):
            return False
        return send_now(item)

    def _send(self, event: BaseModel) -> None:
        if len(self._outbox) >= MAX_OUTBOX_EVENTS:
            self._client_gone.set()  # stop buffering for a client that stopped reading
            return
        self._outbox.put(self._serialize(event))

    async def _send_to_client(self) -> None:
        while True:
            item = await self._outbox.take()
            if isinstance(item, _CloseRequest):
                await self._close(item.code, item.reason)
                return  # without `written`: nothing more goes out
            try:
                await self._ws.send_text(item)
            except (WebSocketDisconnect, RuntimeError):
                return
            self._outbox.written()

    async def _fatal(self, why: PublicError) -> None:
        with contextlib.suppress(WebSocketDisconnect, RuntimeError):
            await self._ws.send_text(self._serialize(self._error_event(why, "fatal")))
        await self._close(1011, why.message)

    async def _close(self, code: int, reason: str) -> None:
        if self._ws.client_state is WebSocketState.CONNECTED:
            with contextlib.suppress(WebSocketDisconnect, RuntimeError):
                await self._ws.close(code, reason[:120])
