"""A browser-like test client for `/v1/realtime`: real Ogg Opus in, every event validated."""

from __future__ import annotations

import asyncio
import base64
import contextlib
import json
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from types import TracebackType
from typing import Any

import numpy as np
import numpy.typing as npt
import sphn
from pydantic import TypeAdapter
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed

from backend.audio.ogg import OpusOutputEncoder
from backend.realtime import events as ev

SAMPLE_RATE = 24_000
CHUNK = 960  # 40 ms: what a browser's Ogg muxer sends per append, give or take


def tone(seconds: float, freq: float = 220.0, level: float = 0.3) -> npt.NDArray[np.float32]:
    """A voiced-sounding signal: a tone with harmonics (energy the STT double hears as speech)."""
    t = np.arange(int(seconds * SAMPLE_RATE)) / SAMPLE_RATE
    wave = sum(np.sin(2 * np.pi * freq * k * t) / k for k in (1, 2, 3))
    return (level * wave / 1.8).astype(np.float32)


@dataclass
class Received:
    at: float
    event: ev.ServerEvent


@dataclass
class RealtimeClient:
    """Sends Ogg Opus paced in real time (silence when idle), records validated events.

    `audio=False`: send no audio at all until `start_audio()`. `tool_events=True`: also
    accept `unmute.tool_call` (a client that asks for it in its session).
    """

    url: str
    audio: bool = True
    tool_events: bool = False
    received: list[Received] = field(default_factory=list)
    raw: list[str] = field(default_factory=list)
    close_code: int | None = None
    close_reason: str = ""
    samples_sent: int = 0
    _ws: ClientConnection | None = None
    _to_send: asyncio.Queue[npt.NDArray[np.float32]] = field(default_factory=asyncio.Queue)
    _tasks: list[asyncio.Task[None]] = field(default_factory=list)
    _changed: asyncio.Event = field(default_factory=asyncio.Event)
    _closed: asyncio.Event = field(default_factory=asyncio.Event)
    _audio_on: asyncio.Event = field(default_factory=asyncio.Event)

    async def __aenter__(self) -> RealtimeClient:
        self._ws = await connect(self.url, subprotocols=[ev_subprotocol()], max_size=None)
        self._tasks = [asyncio.create_task(self._receive()), asyncio.create_task(self._stream())]
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        for task in self._tasks:
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        if self._ws is not None:
            await self._ws.close()

    @property
    def ws(self) -> ClientConnection:
        assert self._ws is not None
        return self._ws

    async def send_json(self, payload: dict[str, Any] | str) -> None:
        await self.ws.send(payload if isinstance(payload, str) else json.dumps(payload))

    async def start_session(self, **session: Any) -> None:
        await self.send_json(
            {"type": "session.update", "session": {"allow_recording": False, **session}}
        )

    def say(self, pcm: npt.NDArray[np.float32]) -> None:
        """Queue audio; it is sent in real time after what is already queued."""
        self._to_send.put_nowait(pcm)

    def start_audio(self) -> None:
        self._audio_on.set()

    async def _stream(self) -> None:
        if self.audio:
            self._audio_on.set()
        await self._audio_on.wait()
        encoder = OpusOutputEncoder()
        start = time.monotonic()
        pending = np.zeros(0, dtype=np.float32)
        while True:
            if pending.size == 0:
                try:
                    pending = self._to_send.get_nowait()
                except asyncio.QueueEmpty:
                    pending = np.zeros(CHUNK, dtype=np.float32)
            chunk, pending = pending[:CHUNK], pending[CHUNK:]
            pages = encoder.encode(chunk)
            self.samples_sent += chunk.size
            if pages:
                message = {
                    "type": "input_audio_buffer.append",
                    "audio": base64.b64encode(pages).decode(),
                }
                try:
                    await self.ws.send(json.dumps(message))
                except ConnectionClosed:
                    return
            wake_at = start + self.samples_sent / SAMPLE_RATE
            await asyncio.sleep(max(0.0, wake_at - time.monotonic()))

    async def _receive(self) -> None:
        try:
            async for message in self.ws:
                assert isinstance(message, str), "the server must only send text frames"
                self.raw.append(message)
                adapter: TypeAdapter[Any] = (
                    ev.tool_events_server_event_adapter
                    if self.tool_events
                    else ev.server_event_adapter
                )
                self.received.append(Received(time.monotonic(), adapter.validate_json(message)))
                self._changed.set()
        except ConnectionClosed:
            pass
        finally:
            self.close_code = self.ws.close_code
            self.close_reason = self.ws.close_reason or ""
            self._closed.set()
            self._changed.set()

    def types(self) -> list[str]:
        return [r.event.type for r in self.received]

    def of_type(self, kind: str) -> list[Any]:
        return [r.event for r in self.received if r.event.type == kind]

    async def wait_for(
        self, predicate: Callable[[RealtimeClient], bool], timeout: float, what: str = ""
    ) -> None:
        deadline = time.monotonic() + timeout
        while not predicate(self):
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise AssertionError(
                    f"timed out waiting for {what or predicate}: got {self.types()}"
                )
            self._changed.clear()
            with contextlib.suppress(TimeoutError):  # also poll: audio sent changes state too
                await asyncio.wait_for(self._changed.wait(), min(remaining, 0.05))

    async def wait_count(self, kind: str, count: int, timeout: float) -> None:
        await self.wait_for(lambda c: len(c.of_type(kind)) >= count, timeout, f"{count}× {kind}")

    async def wait_closed(self, timeout: float) -> None:
        await asyncio.wait_for(self._closed.wait(), timeout)

    def bot_audio(self) -> npt.NDArray[np.float32]:
        """Decode every `response.audio.delta` as the browser would: one Ogg stream."""
        reader = sphn.OpusStreamReader(SAMPLE_RATE)
        chunks = [
            reader.append_bytes(base64.b64decode(d.delta))
            for d in self.of_type("response.audio.delta")
        ]
        return np.concatenate(chunks) if chunks else np.zeros(0, dtype=np.float32)


def ev_subprotocol() -> Any:
    from websockets.typing import Subprotocol

    return Subprotocol("realtime")
