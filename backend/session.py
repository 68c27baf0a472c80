"""One browser conversation on the Unmute protocol: the thin adapter between its WebSocket
and the conversation runner (`backend.conversation_runner`).

It decodes what the browser sends (Ogg Opus audio, the character's `session.update`) and
sends the core's events as they are, with the bot's voice as one continuous Ogg Opus stream.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import functools
import secrets
import time
from datetime import datetime
from typing import Literal

from fastapi import WebSocket
from pydantic import ValidationError

from backend.audio.ogg import OggFormatError, OpusInputDecoder, OpusOutputEncoder
from backend.characters.prompts import is_goodbye, system_prompt
from backend.conversation import signals as sig
from backend.conversation.history import Message
from backend.conversation.machine import Conversation
from backend.conversation.server_tools import ServerTools
from backend.conversation_runner import ConversationRunner, ReplySetup
from backend.log_context import conversation_logger
from backend.realtime import events as ev
from backend.realtime.history_updates import HistoryDeltas
from backend.realtime.public_errors import InvalidRequest, PublicError
from backend.realtime.validation import describe_invalid_message
from backend.reply import Pcm
from backend.reply_options import ReplyOptions
from backend.services import Services
from backend.voice_store import is_custom_voice

logger = conversation_logger(__name__)

MAX_MESSAGE_BYTES = 1_000_000  # a 20 ms Opus page is ~200 bytes; nothing legitimate is near this


class ConversationSession(ConversationRunner):
    def __init__(self, websocket: WebSocket, services: Services) -> None:
        toolbox = services.toolbox
        server_tools = (
            ServerTools(toolbox.config.max_calls_per_turn) if toolbox is not None else None
        )
        core = Conversation(
            is_goodbye, services.settings.conversation_limits(), server_tools=server_tools
        )
        super().__init__(websocket, services, core)
        self._decoder = OpusInputDecoder()
        self._encoder = OpusOutputEncoder()
        self._voice_embedding: bytes | None = None
        self._character = ""  # its name in the voices file: the tools config's character id
        # The tools running for each reply (by response id), and the calls they answer.
        self._tool_runs: dict[int, dict[asyncio.Task[None], sig.ToolCallMade]] = {}
        self._tool_events = False  # the client asked to see them (`session.tool_events`)
        # The client keeps the history and takes what changed (`session.history_updates`).
        self._history_deltas: HistoryDeltas | None = None
        self._session_configured = False  # a `session.update` was taken
        # Fixes the character's secrets (the hidden animal, the quiz theme) for the call.
        self._secret_seed = secrets.randbits(32)

    # --- browser → backend ------------------------------------------------------------

    def _on_client_message(self, message: str | bytes) -> None:
        if not isinstance(message, str):
            self._invalid(
                InvalidRequest.BINARY_FRAME,
                "Binary frames are not supported: send JSON text frames.",
            )
            return
        if len(message) > MAX_MESSAGE_BYTES:
            self._invalid(
                InvalidRequest.MESSAGE_TOO_LARGE,
                f"Message too large ({len(message)} bytes, at most {MAX_MESSAGE_BYTES}).",
            )
            return
        try:
            event = ev.client_event_adapter.validate_json(message)
        except ValidationError as error:
            self._invalid(InvalidRequest.INVALID_MESSAGE, describe_invalid_message(error))
            return
        match event:
            case ev.SessionUpdate():
                self._update_session(event.session)
            case ev.InputAudioBufferAppend():
                self._append_audio(event.audio)
            case ev.InputAudioBufferAppendAnonymized():
                pass  # accepted and ignored, as the protocol says

    def _update_session(self, requested: ev.SessionConfig) -> None:
        prior_turns: tuple[Message, ...] = ()
        if requested.history is not None:
            if self._session_configured:
                self._invalid(
                    InvalidRequest.INVALID_MESSAGE,
                    "`history` resumes a conversation: send it in the first session.update.",
                    param="session.history",
                )
                return
            prior_turns = tuple(Message(m.role, m.content) for m in requested.history)
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
        self._character = character.name if character else ""
        instructions = requested.instructions or (
            character.instructions if character else ev.SmalltalkInstructions()
        )
        self._tool_events = bool(requested.tool_events)
        if requested.history_updates == "delta" and self._history_deltas is None:
            self._history_deltas = HistoryDeltas()
        session = ev.SessionConfig(
            instructions=instructions,
            voice=voice,
            allow_recording=requested.allow_recording,
            tool_events=requested.tool_events,
            history_updates=requested.history_updates,
        )
        prompt = system_prompt(
            instructions, now=datetime.now().astimezone(), secret_seed=self._secret_seed
        )
        self._session_configured = True
        self._send(ev.SessionUpdated(session=session))
        self._dispatch(sig.SessionConfigured(time.monotonic(), prompt, voice, prior_turns))

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
            pcm = error.decoded  # the valid pages around the bad bytes are still heard
        if pcm.size:
            self._stt.send_audio(pcm)
            self._dispatch(sig.UserAudio(time.monotonic(), int(pcm.size)))

    def _invalid(self, code: str, message: str, *, param: str | None = None) -> None:
        """Refuse a client message, saying what is wrong with it (its own data only)."""
        self._metrics.invalid_requests.inc()
        self._send(ev.error_event("invalid_request_error", message, code=code, param=param))

    # --- core → browser ---------------------------------------------------------------

    def _on_started(self) -> None:
        pass  # the browser speaks first: its session.update

    async def run(self) -> None:
        try:
            await super().run()
        finally:
            runs = [run for runs in self._tool_runs.values() for run in runs]  # tasks
            for run in runs:
                run.cancel()
            await asyncio.gather(*runs, return_exceptions=True)

    def _on_protocol_action(
        self, action: sig.UserTurnFinal | sig.ToolCallMade | sig.ToolCallProgress
    ) -> None:
        # The Unmute protocol has no event for these: its clients see the reply start.
        if isinstance(action, sig.ToolCallMade) and self._services.toolbox is not None:
            run = asyncio.create_task(self._run_tool(action), name=f"tool-{action.name}")
            self._tool_runs.setdefault(action.response_id, {})[run] = action
            run.add_done_callback(functools.partial(self._forget_tool_run, action.response_id))
            self._tool_event(action, "running")

    async def _run_tool(self, call: sig.ToolCallMade) -> None:
        """Run the tool (the toolbox keeps its deadline) and tell the core how it went."""
        toolbox = self._services.toolbox
        assert toolbox is not None
        started = time.monotonic()
        outcome = await toolbox.call(self._character, call.name, call.arguments)
        took_s = time.monotonic() - started
        if outcome.failure is not None:
            logger.warning(
                "tool %s failed after %.1f s (%s): %s",
                call.name,
                took_s,
                outcome.failure.value,
                outcome.text,
            )
        else:
            logger.info("tool %s answered in %.1f s", call.name, took_s)
        self._tool_event(call, outcome.failure.value if outcome.failure else "done")
        self._dispatch(sig.ToolResult(time.monotonic(), call.response_id, call.call_id, outcome))

    def _abandon_tool_calls(self, response_id: int) -> None:
        for run, call in self._tool_runs.pop(response_id, {}).items():
            run.cancel()  # the MCP client drops the answer when it comes
            self._tool_event(call, "cancelled")

    def _forget_tool_run(self, response_id: int, run: asyncio.Task[None]) -> None:
        runs = self._tool_runs.get(response_id)
        if runs is not None:
            runs.pop(run, None)
            if not runs:
                del self._tool_runs[response_id]

    def _tool_event(self, call: sig.ToolCallMade, status: ev.ToolStatus) -> None:
        """Tell a client that asked what the bot's tool is doing (shown in its chat)."""
        if not self._tool_events:
            return
        toolbox = self._services.toolbox
        tool = toolbox.find(call.name) if toolbox is not None else None
        server, name = (tool.server, tool.name) if tool is not None else ("", call.name)
        self._send(ev.UnmuteToolCall(call_id=call.call_id, server=server, tool=name, status=status))

    def _emit(self, event: ev.ServerEvent) -> None:
        if self._history_deltas is not None:
            if isinstance(event, ev.UnmuteAdditionalOutputs):
                event = self._history_deltas.as_delta(event)
            elif isinstance(event, ev.ResponseCreated):
                event = self._history_deltas.without_history(event)
        self._send(event)

    def _reply_setup(self, action: sig.StartReply) -> ReplySetup:
        toolbox = self._services.toolbox
        tools = toolbox.tools_for(self._character) if toolbox is not None else []
        options = ReplyOptions(tools=[tool.openai_tool() for tool in tools]) if tools else None
        return ReplySetup(
            list(action.messages), voice_embedding=self._voice_embedding, options=options
        )

    def _play_audio(self, pcm: Pcm) -> None:
        self._send_audio(self._encoder.encode(pcm))

    def _end_audio(self) -> None:
        self._send_audio(self._encoder.flush())

    def _send_audio(self, pages: bytes) -> None:
        if pages:
            self._send(ev.ResponseAudioDelta(delta=base64.b64encode(pages).decode("ascii")))

    def _error_event(self, why: PublicError, kind: str) -> ev.Error:
        level: Literal["fatal", "warning"] = "fatal" if kind == "fatal" else "warning"
        return why.event(level)
