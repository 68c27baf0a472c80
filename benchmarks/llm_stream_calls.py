"""Python calls per streamed chunk of the backend's LLM client, the stream alone: a server in
a thread of its own streams OpenAI chunks (one per HTTP chunk, as uvicorn and llama.cpp
send them) and waits for each to be read before the next, so every chunk costs one read
whatever the host's load; the client reads replies under cProfile. An exact count, like
`benchmarks.call_counts`' (which counts a whole backend), of one path.

    python benchmarks/llm_stream_calls.py          # the client of this tree
    python benchmarks/llm_stream_calls.py --cpu    # its CPU time instead (host-dependent)
    env PYTHONPATH=/tmp/before python benchmarks/llm_stream_calls.py   # of another tree
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import json
import os
import pstats
import sys
import threading
import time
from collections import Counter

import uvloop  # the backend's loop (uvicorn's default when it is installed)

LIBRARIES = ("httpx_sse", "httpx", "httpcore", "h11", "anyio", "sniffio", "pydantic")


def _event(index: int) -> bytes:
    payload = {
        "id": "chatcmpl-1",
        "object": "chat.completion.chunk",
        "model": "m",
        "choices": [{"index": 0, "delta": {"content": f" word{index}"}, "finish_reason": None}],
    }
    return f"data: {json.dumps(payload)}\n\n".encode()


def _http_chunk(data: bytes) -> bytes:
    return b"%x\r\n%s\r\n" % (len(data), data)


def serve(chunks: int, acks: int, port: list[int], ready: threading.Event) -> None:
    """Answers each completion with `chunks` chunks, the next once the last was read."""

    async def answer(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        loop = asyncio.get_running_loop()
        read: asyncio.Queue[None] = asyncio.Queue()

        def on_ack() -> None:
            os.read(acks, 1)
            read.put_nowait(None)

        loop.add_reader(acks, on_ack)
        while True:
            try:
                head = await reader.readuntil(b"\r\n\r\n")
            except asyncio.IncompleteReadError:
                return  # the client closed its connection
            length = next(
                int(line.split(b":", 1)[1])
                for line in head.split(b"\r\n")
                if line.lower().startswith(b"content-length:")
            )
            await reader.readexactly(length)
            writer.write(
                b"HTTP/1.1 200 OK\r\ncontent-type: text/event-stream\r\n"
                b"transfer-encoding: chunked\r\n\r\n"
            )
            for index in range(chunks):
                writer.write(_http_chunk(_event(index)))
                await read.get()
            writer.write(_http_chunk(b"data: [DONE]\n\n") + b"0\r\n\r\n")

    async def main() -> None:
        server = await asyncio.start_server(answer, "127.0.0.1", 0)
        port.append(server.sockets[0].getsockname()[1])
        ready.set()
        await asyncio.Event().wait()

    asyncio.run(main())


async def read_replies(
    url: str, replies: int, ack: int, profile: cProfile.Profile | None
) -> tuple[int, float]:
    """Deltas read, and the CPU seconds of this thread (the client's alone) reading them."""
    from backend.clients.llm import LlmClient

    messages = [{"role": "user", "content": "Hello?"}]
    deltas, cpu_s = 0, 0.0
    async with LlmClient(url, model="m") as client:
        for reply in range(replies + 1):  # the first opens the connection, uncounted
            if reply == 1:
                cpu_s = -time.thread_time()
                if profile is not None:
                    profile.enable()
            async for _ in client.stream_reply(messages, temperature=0.5):
                os.write(ack, b"x")
                deltas += reply > 0
        cpu_s += time.thread_time()
        if profile is not None:
            profile.disable()
    return deltas, cpu_s


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--chunks", type=int, default=200, help="chunks per reply")
    parser.add_argument("--replies", type=int, default=5, help="replies counted")
    parser.add_argument(
        "--cpu", action="store_true", help="the client's CPU time per chunk instead (no profile)"
    )
    args = parser.parse_args()
    acks, ack = os.pipe()
    port: list[int] = []
    ready = threading.Event()
    threading.Thread(target=serve, args=(args.chunks, acks, port, ready), daemon=True).start()
    ready.wait()
    url = f"http://127.0.0.1:{port[0]}"
    profile = None if args.cpu else cProfile.Profile()
    deltas, cpu_s = uvloop.run(read_replies(url, args.replies, ack, profile))
    chunks = args.chunks * args.replies
    if deltas != chunks:
        sys.exit(f"read {deltas} deltas of {chunks} chunks")
    if profile is None:
        print(f"{cpu_s / chunks * 1e6:.1f} µs of the client's CPU per chunk ({chunks:,} chunks)")
        return
    by_place: Counter[str] = Counter()
    stats = pstats.Stats(profile).stats  # type: ignore[attr-defined]
    for (filename, _, name), (_, calls, *_) in stats.items():
        if name == "<built-in method posix.write>":
            continue  # the benchmark's acknowledgement
        place = "built-ins" if filename == "~" else "Python's library"
        if "/backend/" in filename:
            place = filename.split("/backend/")[1]
        elif "/site-packages/" in filename:
            top = filename.split("/site-packages/")[1].split("/")[0]
            place = top if top in LIBRARIES else "other packages"
        by_place[place] += calls
    print(f"{by_place.total() / chunks:.1f} calls per chunk ({chunks:,} chunks)")
    for place, calls in by_place.most_common():
        print(f"  {calls / chunks:6.1f}  {place}")


if __name__ == "__main__":
    main()
