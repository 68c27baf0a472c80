"""A recogniser worker process: `python -m embedded.stt.worker [--engine whisper --model DIR]`.

Recognisers hold the GIL for much of their work (pocketsphinx all of it), so each server
slot gets a process of its own: a slow stream then never delays another stream, nor any
stream's `Step`s. Commands come in on stdin and answers go out on stdout (see
`worker_messages`); logs go to stderr.
"""

from __future__ import annotations

import argparse
import ctypes
import ctypes.util
import os
import queue
import signal
import sys
import threading
import time
from pathlib import Path
from typing import Any, BinaryIO

from embedded.stt import worker_messages
from embedded.stt.engines import DEFAULT_WHISPER_THREADS, EngineName, Recognizer, SttEngine
from embedded.stt.word_commit import TimedWord

# Recognition is bulk work and runs at a lower CPU priority than the real-time paths (this
# server's event loop, a backend or TTS on the same host): on an overloaded host words come
# late, but Steps and audio keep their pace. Measured on one core with 8 streams: Steps
# were delayed up to 0.4 s at equal priority, under 20 ms at this niceness.
WORKER_NICENESS = 10
# glibc keeps memory that was freed; a Whisper process's transcriptions leave ~25 MB that
# it hands back when trimmed (in 0.1 ms), which is done after each utterance.
_LIBC = ctypes.CDLL(ctypes.util.find_library("c")) if sys.platform == "linux" else None


def main() -> None:
    parser = argparse.ArgumentParser(description="One STT slot's recogniser.")
    parser.add_argument("--engine", type=EngineName, default=EngineName.POCKETSPHINX)
    parser.add_argument("--model", type=Path, help="whisper: a CTranslate2 Whisper folder")
    parser.add_argument("--threads", type=int, default=DEFAULT_WHISPER_THREADS)
    args = parser.parse_args()
    # The protocol gets a private copy of stdout; fd 1 then points at stderr, so that a C
    # library printing to stdout can never corrupt a message.
    answers = os.fdopen(os.dup(sys.stdout.fileno()), "wb")
    os.dup2(sys.stderr.fileno(), sys.stdout.fileno())
    # Ctrl-C reaches the whole process group; the server decides when workers stop.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    os.nice(WORKER_NICENESS)
    # Set before numpy loads OpenBLAS (the engine imports it): Whisper's features are a
    # small matrix product, after which OpenBLAS's extra threads spin idle, which doubled
    # a transcription's CPU time (measured: 121-129 ms of CPU for 61-65 ms, 64 ms with one).
    os.environ["OPENBLAS_NUM_THREADS"] = "1"
    recognizer = SttEngine(args.engine, args.model, args.threads).create_recognizer()
    serve(sys.stdin.buffer, answers, recognizer)


def serve(commands: BinaryIO, answers: BinaryIO, recognizer: Recognizer) -> None:
    """Answer commands until the server closes the pipe."""
    inbox = _Inbox(commands)
    _send(answers, {"op": "ready"})
    stream = -1
    frames = 0
    while (command := inbox.get()) is not None:
        op = command["op"]
        if op == "reset":
            recognizer.reset()
            stream, frames = command["stream"], 0
        elif command.get("stream") != stream or stream != inbox.newest_stream:
            continue  # a stream that has ended: skip its backlog
        elif op == "audio":
            started = time.process_time()
            was_in_utterance = recognizer.in_utterance
            words = recognizer.feed(command["pcm"], command["voiced"], behind=inbox.waiting)
            if was_in_utterance and not recognizer.in_utterance:
                _return_free_memory()
            frames += 1
            _send(
                answers,
                {
                    "op": "processed",
                    "stream": stream,
                    "frames": frames,
                    "idle": not recognizer.in_utterance,
                    "words": _wire_words(words),
                    "compute_s": time.process_time() - started,
                },
            )
        elif op == "marker":
            words = recognizer.finish()
            _send(
                answers,
                {
                    "op": "marker",
                    "stream": stream,
                    "id": command["id"],
                    "frames": frames,
                    "idle": True,
                    "words": _wire_words(words),
                },
            )


class _Inbox:
    """Reads commands ahead of the decoder, so that it learns at once of a newer stream."""

    def __init__(self, commands: BinaryIO) -> None:
        self._queue: queue.SimpleQueue[dict[str, Any] | None] = queue.SimpleQueue()
        self.newest_stream = -1
        threading.Thread(target=self._read, args=(commands,), daemon=True).start()

    def get(self) -> dict[str, Any] | None:
        return self._queue.get()

    @property
    def waiting(self) -> bool:
        """True when more commands have arrived: the recogniser is behind the audio."""
        return not self._queue.empty()

    def _read(self, commands: BinaryIO) -> None:
        while (command := worker_messages.read_blocking(commands)) is not None:
            if command["op"] == "reset":
                self.newest_stream = command["stream"]
            self._queue.put(command)
        self._queue.put(None)


def _return_free_memory() -> None:
    if _LIBC is not None:
        _LIBC.malloc_trim(0)


def _wire_words(words: list[TimedWord]) -> list[list[Any]]:
    return [[word.text, word.start_s, word.stop_s] for word in words]


def _send(answers: BinaryIO, message: dict[str, Any]) -> None:
    answers.write(worker_messages.encode(message))
    answers.flush()


if __name__ == "__main__":
    main()
