"""A client of the CPU STT server for the tests (one asr-streaming stream, msgpack frames,
what the server sent collected in the background; its metrics), and the server run in
process."""

from __future__ import annotations

import asyncio
import socket
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any

import httpx
import msgpack
import numpy as np
import numpy.typing as npt
import uvicorn
import websockets
from websockets.asyncio.client import ClientConnection
from websockets.exceptions import ConnectionClosed

from embedded.stt.engines import SttEngine, whisper_engine
from embedded.stt.server import create_app
from tests.recognition_clips import normalise
from tests.speech_clips import SAMPLE_RATE

KEY = "public_token"
FRAME = 1920
ENGINES = ["pocketsphinx", "whisper"]


def pack(message: dict[str, Any]) -> bytes:
    """A client frame as the backend packs it."""
    frame: bytes = msgpack.packb(message, use_bin_type=True, use_single_float=True)
    return frame


@dataclass
class Session:
    """One client stream; a background task collects what the server sends."""

    ws: ClientConnection
    received: list[tuple[float, dict[str, Any]]] = field(default_factory=list)
    arrived: asyncio.Event = field(default_factory=asyncio.Event)

    async def collect(self) -> None:
        try:
            async for frame in self.ws:
                assert isinstance(frame, bytes), "the server sends binary frames only"
                self.received.append((time.monotonic(), msgpack.unpackb(frame)))
                self.arrived.set()
        except ConnectionClosed:
            pass
        self.arrived.set()

    async def send(self, message: dict[str, Any]) -> None:
        await self.ws.send(pack(message))

    async def send_audio(self, pcm: npt.NDArray[np.float32], chunk: int = FRAME) -> None:
        for start in range(0, len(pcm), chunk):
            await self.send({"type": "Audio", "pcm": pcm[start : start + chunk].tolist()})

    async def send_realtime(self, pcm: npt.NDArray[np.float32], chunk: int = 960) -> None:
        """Like a microphone: 40 ms pieces, each sent when it has been spoken."""
        started = time.monotonic()
        for start in range(0, len(pcm), chunk):
            await self.send({"type": "Audio", "pcm": pcm[start : start + chunk].tolist()})
            await asyncio.sleep(
                max(0.0, started + (start + chunk) / SAMPLE_RATE - time.monotonic())
            )

    def messages(self, kind: str | None = None) -> list[dict[str, Any]]:
        return [m for _, m in self.received if kind is None or m["type"] == kind]

    def words(self) -> list[str]:
        """The words as the reference spells them (Whisper capitalises and punctuates)."""
        return normalise(" ".join(m["text"] for m in self.messages("Word"))).split()

    async def wait_for(self, kind: str, timeout_s: float = 15.0, **fields: Any) -> dict[str, Any]:
        async with asyncio.timeout(timeout_s):
            while True:
                for _, message in self.received:
                    if message["type"] == kind and all(
                        message.get(k) == v for k, v in fields.items()
                    ):
                        return message
                if self.ws.state.name == "CLOSED" and self.arrived.is_set():
                    raise AssertionError(f"closed without {kind}: {self.messages()[-3:]}")
                self.arrived.clear()
                await self.arrived.wait()


@asynccontextmanager
async def session(address: str, query: str = "", key: str | None = KEY) -> AsyncIterator[Session]:
    headers = {"kyutai-api-key": key} if key is not None else {}
    async with websockets.connect(
        f"ws://{address}/api/asr-streaming{query}", additional_headers=headers, max_size=None
    ) as ws:
        stream = Session(ws)
        collector = asyncio.create_task(stream.collect())
        try:
            yield stream
        finally:
            await ws.close()
            await collector


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@asynccontextmanager
async def in_process_server(
    idle_timeout_s: float, engine: str = "pocketsphinx"
) -> AsyncIterator[str]:
    chosen = whisper_engine() if engine == "whisper" else SttEngine()
    app = create_app(slots=1, api_key=None, idle_timeout_s=idle_timeout_s, engine=chosen)
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=0, log_level="warning"))
    task = asyncio.create_task(server.serve())
    while not server.started:
        assert not task.done()
        await asyncio.sleep(0.05)
    try:
        yield f"127.0.0.1:{server.servers[0].sockets[0].getsockname()[1]}"
    finally:
        server.should_exit = True
        await task


async def read_metric(address: str, name: str) -> float:
    async with httpx.AsyncClient() as client:
        text = (await client.get(f"http://{address}/metrics")).text
    for line in text.splitlines():
        if line.startswith(name + " ") or line.startswith(name + "{"):
            return float(line.rsplit(" ", 1)[1])
    raise AssertionError(f"{name} missing from /metrics")


async def wait_for_metric(address: str, name: str, ok: Any, timeout_s: float = 10.0) -> None:
    async with asyncio.timeout(timeout_s):
        while True:  # polled: the server has no way to tell us
            if ok(await read_metric(address, name)):
                return
            await asyncio.sleep(0.05)
