"""The recogniser worker processes, seen from the server's event loop.

One worker process per slot, started with the server and reused stream after stream.
Talking to a worker never blocks the event loop: commands are queued on its stdin pipe,
and a reader task hands each answer to the stream the worker currently serves. A worker
that dies is replaced; the stream it was serving is told, so it can end with an `Error`.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from embedded.stt import worker_messages
from embedded.stt.word_commit import TimedWord

logger = logging.getLogger(__name__)

WORKER_COMMAND = (sys.executable, "-m", "embedded.stt.worker")
START_TIMEOUT_S = 60.0  # loading the models takes ~1 s per worker; more on a crowded host
STOP_GRACE_S = 2.0  # a worker exits as soon as its stdin closes; this is a fallback
RESTART_DELAYS_S = (0.2, 1.0, 5.0)  # back off if a worker dies again right after a restart
MAX_START_FAILURES = 3  # a worker that never gets ready is broken, not unlucky


@dataclass(frozen=True)
class Processed:
    """The worker decoded one more frame of the stream."""

    frames: int  # frames of this stream processed so far
    idle: bool  # no utterance open: no words are owed for the audio processed
    words: tuple[TimedWord, ...]  # words that became final
    compute_s: float  # CPU time the frame took


@dataclass(frozen=True)
class MarkerReached:
    """All audio sent before the marker has been processed; `words` are its last words."""

    marker_id: int
    frames: int
    words: tuple[TimedWord, ...]


@dataclass(frozen=True)
class WorkerLost:
    """The worker process died; nothing more will come for this stream."""


WorkerEvent = Processed | MarkerReached | WorkerLost
Listener = Callable[[WorkerEvent], None]


class RecognizerWorker:
    """One worker process, serving at most one stream at a time."""

    def __init__(self, name: str, command: Sequence[str] = WORKER_COMMAND) -> None:
        self.name = name
        self._command = tuple(command)
        self._process: asyncio.subprocess.Process | None = None
        self._supervisor: asyncio.Task[None] | None = None
        self._ready = asyncio.Event()
        self._listener: Listener | None = None
        self._stream_id = 0
        self._stopping = False

    @property
    def ready(self) -> bool:
        return self._ready.is_set()

    async def start(self) -> None:
        """Start the process and wait until its models are loaded."""
        self._supervisor = asyncio.create_task(self._supervise(), name=f"stt-{self.name}")
        ready = asyncio.create_task(self._ready.wait())
        await asyncio.wait({ready, self._supervisor}, return_when=asyncio.FIRST_COMPLETED)
        if not self.ready:
            ready.cancel()
            raise RuntimeError(f"recogniser worker {self.name} did not start")

    def begin(self, listener: Listener) -> None:
        """Serve a new stream; its answers go to `listener` (called in the event loop)."""
        self._stream_id += 1
        self._listener = listener
        self._send({"op": "reset", "stream": self._stream_id})

    def send_audio(self, pcm16k: bytes, voiced: Sequence[bool]) -> None:
        self._send({"op": "audio", "stream": self._stream_id, "pcm": pcm16k, "voiced": voiced})

    def send_marker(self, marker_id: int) -> None:
        self._send({"op": "marker", "stream": self._stream_id, "id": marker_id})

    def end(self) -> None:
        """The stream is over: the worker skips its backlog, its answers are dropped."""
        self._listener = None
        self._stream_id += 1
        self._send({"op": "reset", "stream": self._stream_id})

    async def stop(self) -> None:
        self._stopping = True
        process = self._process
        if process is not None and process.stdin is not None:
            process.stdin.close()
            try:
                await asyncio.wait_for(process.wait(), STOP_GRACE_S)
            except TimeoutError:
                process.kill()
                await process.wait()
        if self._supervisor is not None:
            self._supervisor.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._supervisor

    def _send(self, message: dict[str, Any]) -> None:
        process = self._process
        if process is None or process.stdin is None or process.stdin.is_closing():
            return  # the worker is being replaced; the stream hears `WorkerLost`
        process.stdin.write(worker_messages.encode(message))

    async def _supervise(self) -> None:
        """Run the worker, relay its answers, and replace it whenever it dies."""
        failures = 0
        while not self._stopping:
            self._process = await asyncio.create_subprocess_exec(
                *self._command, stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE
            )
            answered = await self._relay(self._process)
            self._ready.clear()
            if self._stopping:
                return
            await self._process.wait()
            logger.error("recogniser %s exited with %s", self.name, self._process.returncode)
            self._notify(WorkerLost())
            self._listener = None
            failures = 0 if answered else failures + 1
            if failures >= MAX_START_FAILURES:
                return  # it cannot even start: `start` reports it, the slot stays unused
            await asyncio.sleep(RESTART_DELAYS_S[min(failures, len(RESTART_DELAYS_S) - 1)])

    async def _relay(self, process: asyncio.subprocess.Process) -> bool:
        """Hand answers to the current stream until the process ends; False if never ready."""
        assert process.stdout is not None
        while (message := await worker_messages.read(process.stdout)) is not None:
            op = message["op"]
            if op == "ready":
                self._ready.set()
            elif message.get("stream") == self._stream_id:
                self._notify(_event(message))
        return self.ready

    def _notify(self, event: WorkerEvent) -> None:
        if self._listener is not None:
            self._listener(event)


def _event(message: dict[str, Any]) -> WorkerEvent:
    words = tuple(TimedWord(str(text), start, stop) for text, start, stop in message["words"])
    if message["op"] == "marker":
        return MarkerReached(message["id"], message["frames"], words)
    return Processed(message["frames"], message["idle"], words, message["compute_s"])


class RecognizerPool:
    """A fixed set of workers; a stream takes a free one and gives it back at its end."""

    def __init__(self, size: int, command: Sequence[str] = WORKER_COMMAND) -> None:
        self.workers = [RecognizerWorker(str(index), command) for index in range(size)]
        self._free = list(self.workers)

    async def start(self) -> None:
        await asyncio.wait_for(
            asyncio.gather(*(worker.start() for worker in self.workers)), START_TIMEOUT_S
        )

    async def stop(self) -> None:
        await asyncio.gather(*(worker.stop() for worker in self.workers))

    def take(self) -> RecognizerWorker | None:
        """A free worker that is ready, or None."""
        for worker in self._free:
            if worker.ready:
                self._free.remove(worker)
                return worker
        return None

    def give_back(self, worker: RecognizerWorker) -> None:
        worker.end()
        self._free.append(worker)
