"""A test client for the OpenAI Realtime route, on the official `openai` SDK's own client.

`AsyncOpenAI(base_url=http://host:port/openai/v1).realtime.connect(model=...)` opens the
socket exactly as any SDK user does. Every server event is validated against the SDK's
models (`RealtimeServerEvent`), strictly: an unknown type or a missing field fails the test.
Audio is PCM16 at 24 kHz, paced in real time, silence when there is nothing to say.
"""

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
from openai import AsyncOpenAI
from openai.resources.realtime.realtime import AsyncRealtimeConnection
from openai.types.realtime.realtime_server_event import RealtimeServerEvent
from pydantic import TypeAdapter
from websockets.exceptions import ConnectionClosed

SAMPLE_RATE = 24_000
CHUNK = 960  # 40 ms per append
SERVER_EVENTS: TypeAdapter[RealtimeServerEvent] = TypeAdapter(RealtimeServerEvent)


def pcm16(pcm: npt.NDArray[np.float32]) -> bytes:
    return (np.clip(pcm, -1, 1) * 32767).astype("<i2").tobytes()


@dataclass
class Received:
    at: float
    event: Any  # one of the SDK's server event models


@dataclass
class OpenAiClient:
    """`audio=False`: send no audio unless `say` is called (text-only conversations)."""

    address: str
    api_key: str = "unused"
    model: str = "unmute-test"
    audio: bool = True
    encode: Callable[[npt.NDArray[np.float32]], bytes] = pcm16  # 24 kHz float → the wire
    received: list[Received] = field(default_factory=list)
    samples_sent: int = 0
    _sdk: AsyncOpenAI | None = None
    _manager: Any = None
    _connection: AsyncRealtimeConnection | None = None
    _to_send: asyncio.Queue[npt.NDArray[np.float32]] = field(default_factory=asyncio.Queue)
    _tasks: list[asyncio.Task[None]] = field(default_factory=list)
    _changed: asyncio.Event = field(default_factory=asyncio.Event)
    closed: bool = False

    async def __aenter__(self) -> OpenAiClient:
        self._sdk = AsyncOpenAI(api_key=self.api_key, base_url=f"http://{self.address}/openai/v1")
        self._manager = self._sdk.realtime.connect(model=self.model)
        self._connection = await self._manager.__aenter__()
        self._tasks = [asyncio.create_task(self._receive())]
        if self.audio:
            self._tasks.append(asyncio.create_task(self._stream()))
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
        await self._manager.__aexit__(None, None, None)
        if self._sdk is not None:
            await self._sdk.close()

    @property
    def connection(self) -> AsyncRealtimeConnection:
        assert self._connection is not None
        return self._connection

    async def send(self, event: dict[str, Any]) -> None:
        await self.connection.send(event)  # type: ignore[arg-type]

    async def send_raw(self, text: str) -> None:
        await self.connection._connection.send(text)

    def say(self, pcm: npt.NDArray[np.float32]) -> None:
        """Queue audio; it is sent in real time after what is already queued."""
        self._to_send.put_nowait(pcm)

    async def _stream(self) -> None:
        start = time.monotonic()
        pending = np.zeros(0, dtype=np.float32)
        while True:
            if pending.size == 0:
                try:
                    pending = self._to_send.get_nowait()
                except asyncio.QueueEmpty:
                    pending = np.zeros(CHUNK, dtype=np.float32)
            chunk, pending = pending[:CHUNK], pending[CHUNK:]
            self.samples_sent += chunk.size
            try:
                await self.connection.input_audio_buffer.append(
                    audio=base64.b64encode(self.encode(chunk)).decode()
                )
            except ConnectionClosed:
                return
            wake_at = start + self.samples_sent / SAMPLE_RATE
            await asyncio.sleep(max(0.0, wake_at - time.monotonic()))

    async def _receive(self) -> None:
        try:
            while True:
                raw = await self.connection.recv_bytes()
                payload = json.loads(raw)
                event = SERVER_EVENTS.validate_python(payload, strict=False)
                self.received.append(Received(time.monotonic(), event))
                self._changed.set()
        except ConnectionClosed:
            pass
        finally:
            self.closed = True
            self._changed.set()

    def types(self) -> list[str]:
        return [r.event.type for r in self.received]

    def of_type(self, kind: str) -> list[Any]:
        return [r.event for r in self.received if r.event.type == kind]

    def first_at(self, kind: str, after: float = 0.0) -> float:
        return next(r.at for r in self.received if r.event.type == kind and r.at > after)

    async def wait_for(
        self, predicate: Callable[[OpenAiClient], bool], timeout: float, what: str = ""
    ) -> None:
        deadline = time.monotonic() + timeout
        while not predicate(self):
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise AssertionError(f"timed out waiting for {what}: got {self.types()}")
            self._changed.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._changed.wait(), min(remaining, 0.05))

    async def wait_count(self, kind: str, count: int, timeout: float) -> None:
        await self.wait_for(lambda c: len(c.of_type(kind)) >= count, timeout, f"{count}× {kind}")

    def bot_audio(self, response_id: str | None = None) -> npt.NDArray[np.float32]:
        deltas = [
            d
            for d in self.of_type("response.output_audio.delta")
            if response_id is None or d.response_id == response_id
        ]
        data = b"".join(base64.b64decode(d.delta) for d in deltas)
        return np.frombuffer(data, dtype="<i2").astype(np.float32) / 32768.0
