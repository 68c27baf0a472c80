"""One simulated browser on `/v1/realtime`: a real-time microphone out, every event in.

It speaks what a browser speaks (subprotocol `realtime`, JSON text frames, one
continuous Ogg Opus stream of appends paced in real time) and checks everything it
receives: the event schema, the ordering rules, the audio stream, the close. Each
breach becomes an `Issue`; measurements go to a `TurnTracker`.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import json
import random
import ssl
import time
from collections.abc import Callable
from typing import Any

import numpy as np
import sphn
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed, InvalidStatus, WebSocketException
from websockets.typing import Subprotocol

from backend.realtime import events as ev
from loadtest.microphone import Microphone
from loadtest.ogg_opus import PACKET_SAMPLES, EncodedClip, OpusHeaders
from loadtest.protocol_check import (
    AudioStreamChecker,
    EventOrderChecker,
    Violation,
    parse_server_message,
)
from loadtest.results import Issue, IssueKind
from loadtest.resume import is_resumable_drop
from loadtest.turns import SpeechEnd, TurnTracker

SAMPLE_RATE = 24_000
SUBPROTOCOL = Subprotocol("realtime")
CONNECT_TIMEOUT_S = 10.0
CLOSE_TIMEOUT_S = 3.0
# The largest server message we accept; audio deltas are a few kB.
MAX_MESSAGE_BYTES = 16 * 1024 * 1024


def unverified_tls() -> ssl.SSLContext:
    """TLS that accepts any certificate: for a test deployment's self-signed proxy."""
    context = ssl.create_default_context()
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    return context


class ConnectFailed(Exception):
    def __init__(self, kind: IssueKind, detail: str) -> None:
        super().__init__(detail)
        self.kind = kind
        self.detail = detail


class RealtimeConnection:
    def __init__(
        self,
        url: str,
        *,
        conversation: int,
        origin: float,
        opus_headers: OpusHeaders,
        silence_packet: bytes,
        report: Callable[[Issue], None],
        verify_tls: bool = True,
        tracker: TurnTracker | None = None,
        observe: Callable[[float, ev.ServerEvent], None] | None = None,
        resumable_drops: bool = False,
    ) -> None:
        """`observe` sees every valid server event; with `resumable_drops` a close the app
        would resume after is no protocol error but `dropped`, for the caller to resume."""
        self.url = url
        self._verify_tls = verify_tls
        self.conversation = conversation
        self.origin = origin
        self.tracker = tracker or TurnTracker(conversation, origin)
        self.close_code: int | None = None
        self.close_reason = ""
        self.closed_at: float | None = None
        self.ended_by_server = False
        self.dropped = False
        self._observe = observe
        self._resumable_drops = resumable_drops
        self._fatal_error = False
        self.send_lags: list[float] = []
        self._report = report
        self._mic = Microphone(opus_headers, silence_packet, serial=random.getrandbits(32))
        self._order = EventOrderChecker()
        self._audio_check = AudioStreamChecker()
        self._decoder = sphn.OpusStreamReader(SAMPLE_RATE)
        self._ws: ClientConnection | None = None
        self._tasks: list[asyncio.Task[None]] = []
        self._changed = asyncio.Event()
        self._closed = asyncio.Event()
        self._closing = False
        self._sent_position = 0
        self._sent_waiters: list[tuple[int, asyncio.Future[float]]] = []

    # --- lifecycle --------------------------------------------------------------------

    async def open(self) -> None:
        """Connect; raises `ConnectFailed` (`refused` for a full server's 503)."""
        options: dict[str, Any] = {}
        if self.url.startswith("wss:") and not self._verify_tls:
            options["ssl"] = unverified_tls()
        try:
            self._ws = await connect(
                self.url,
                subprotocols=[SUBPROTOCOL],
                open_timeout=CONNECT_TIMEOUT_S,
                close_timeout=CLOSE_TIMEOUT_S,
                max_size=MAX_MESSAGE_BYTES,
                **options,
            )
        except InvalidStatus as error:
            status = error.response.status_code
            kind: IssueKind = "refused" if status in (429, 503) else "connect_failed"
            raise ConnectFailed(kind, f"HTTP {status} at the upgrade") from error
        except (OSError, TimeoutError, WebSocketException) as error:
            raise ConnectFailed("connect_failed", str(error) or type(error).__name__) from error
        if self._ws.subprotocol != SUBPROTOCOL:
            self.issue("handshake", "the server did not accept the `realtime` subprotocol")
        self._tasks = [
            asyncio.create_task(self._stream_microphone()),
            asyncio.create_task(self._receive()),
        ]

    async def close(self) -> None:
        """Hang up with 1000, like a browser tab that ends the call."""
        self._closing = True
        ws = self._ws
        if ws is not None:
            with contextlib.suppress(ConnectionClosed, TimeoutError, OSError):
                async with asyncio.timeout(CLOSE_TIMEOUT_S):
                    await ws.close(1000)
        for task in self._tasks:
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        if not self._closed.is_set():
            self._finish_receiving()

    @property
    def closed(self) -> bool:
        return self._closed.is_set()

    def issue(self, kind: IssueKind, detail: str) -> None:
        at = time.monotonic() - self.origin
        self._report(Issue(kind=kind, detail=detail, conversation=self.conversation, at=at))

    # --- what the user does -----------------------------------------------------------

    async def start_session(self, session: dict[str, Any]) -> None:
        """`session.update`: the character; the bot greets once audio flows."""
        self.tracker.session_requested(time.monotonic())
        await self._send({"type": "session.update", "session": session})

    async def say(self, clip: EncodedClip) -> None:
        """Speak `clip` in real time; returns once its speech has been sent."""
        speech = self._mic.say(clip)
        started_at = await self._when_sent(speech.start_sample)
        self.tracker.user_started(speech.text, started_at)
        page_sent_at = await self._when_sent(speech.end_sample)
        page_end = -(-speech.end_sample // PACKET_SAMPLES) * PACKET_SAMPLES
        self.tracker.user_finished(
            SpeechEnd(
                at=page_sent_at - (page_end - speech.end_sample) / SAMPLE_RATE,
                sample=speech.end_sample,
                page_sent_at=page_sent_at,
            )
        )

    async def wait_until(self, condition: Callable[[], bool], timeout_s: float) -> bool:
        """Wait for `condition` (checked on every event); False on timeout or close."""
        deadline = time.monotonic() + timeout_s
        while not condition():
            remaining = deadline - time.monotonic()
            if remaining <= 0 or self._closed.is_set():
                return condition()
            self._changed.clear()
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(remaining):
                    await self._changed.wait()
        return True

    # --- sending ----------------------------------------------------------------------

    async def _send(self, payload: dict[str, Any]) -> None:
        assert self._ws is not None
        with contextlib.suppress(ConnectionClosed):
            await self._ws.send(json.dumps(payload))

    async def _stream_microphone(self) -> None:
        """One page per packet, each sent when a real microphone would have recorded it."""
        assert self._ws is not None
        started = time.monotonic()
        while not self._closed.is_set():
            data = self._mic.next_append()
            due = started + self._mic.position / SAMPLE_RATE
            delay = due - time.monotonic()
            if delay > 0:
                await asyncio.sleep(delay)
            audio = base64.b64encode(data).decode("ascii")
            try:
                await self._ws.send(
                    json.dumps({"type": "input_audio_buffer.append", "audio": audio})
                )
            except ConnectionClosed:
                return
            sent_at = time.monotonic()
            self.send_lags.append(sent_at - due)
            self._mark_sent(self._mic.position, sent_at)

    def _mark_sent(self, position: int, at: float) -> None:
        self._sent_position = position
        waiting = []
        for target, future in self._sent_waiters:
            if target <= position:
                if not future.done():
                    future.set_result(at)
            else:
                waiting.append((target, future))
        self._sent_waiters = waiting

    async def _when_sent(self, sample: int) -> float:
        """When the page holding stream sample `sample - 1` was sent (a close raises)."""
        future: asyncio.Future[float] = asyncio.get_running_loop().create_future()
        self._sent_waiters.append((sample, future))
        closed: asyncio.Future[Any] = asyncio.ensure_future(self._closed.wait())
        try:
            await asyncio.wait([future, closed], return_when=asyncio.FIRST_COMPLETED)
        finally:
            closed.cancel()
        if not future.done():
            future.cancel()
            raise ConnectionError("the connection closed while the user was speaking")
        return future.result()

    # --- receiving --------------------------------------------------------------------

    async def _receive(self) -> None:
        assert self._ws is not None
        try:
            async for message in self._ws:
                self._handle(time.monotonic(), message)
                self._changed.set()
        except ConnectionClosed:
            pass
        finally:
            self._finish_receiving()

    def _handle(self, at: float, message: str | bytes) -> None:
        parsed = parse_server_message(message)
        if isinstance(parsed, Violation):
            self.issue(parsed.kind, parsed.detail)
            return
        for violation in self._order.feed(parsed):
            self.issue(violation.kind, violation.detail)
        if isinstance(parsed, ev.Error):
            self.issue("error_event", f"{parsed.error.type}: {parsed.error.message}")
            self._fatal_error = self._fatal_error or parsed.error.type == "fatal"
        self.tracker.on_event(at, parsed)
        if self._observe is not None:
            self._observe(at, parsed)
        if isinstance(parsed, ev.ResponseAudioDelta):
            self._take_audio(at, parsed.delta)

    def _take_audio(self, at: float, delta: str) -> None:
        try:
            data = base64.b64decode(delta, validate=True)
        except ValueError:
            self.issue("audio_stream", "an audio delta that is not base64")
            return
        for violation in self._audio_check.feed(data):
            self.issue(violation.kind, violation.detail)
        try:
            pcm = self._decoder.append_bytes(data)
        except ValueError as error:
            self.issue("audio_stream", f"undecodable Opus audio: {error}")
            self._decoder = sphn.OpusStreamReader(SAMPLE_RATE)
            return
        self.tracker.on_audio(at, int(np.asarray(pcm).size))

    def _finish_receiving(self) -> None:
        if self._closed.is_set():
            return
        ws = self._ws
        self.close_code = ws.close_code if ws is not None else None
        self.close_reason = (ws.close_reason or "") if ws is not None else ""
        self.closed_at = time.monotonic()
        if not self._closing:
            if self.close_code == 1000:
                self.ended_by_server = True
            elif self._resumable_drops and is_resumable_drop(
                self.close_code, fatal_error=self._fatal_error
            ):
                self.dropped = True
            else:
                reason = f" ({self.close_reason})" if self.close_reason else ""
                self.issue("unexpected_close", f"the server closed with {self.close_code}{reason}")
        self.tracker.connection_closed()
        self._closed.set()
        self._changed.set()
