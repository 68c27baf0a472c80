"""Run one fixed-latency server (STT, TTS or LLM) in this process.

    python -m benchmarks.fixed_latency stt --port-file stt.port

Each kind runs in its own process, so one server's work never delays another's
answer. Once it listens, the port is written to the port file. `GET /trace` on any of
them returns that server's stamps (`?reset=1` clears them afterwards).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
from collections.abc import Awaitable, Callable
from http import HTTPStatus
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import numpy as np
import numpy.typing as npt
import uvicorn
from starlette.applications import Starlette
from websockets.asyncio.server import ServerConnection, serve
from websockets.exceptions import ConnectionClosed
from websockets.http11 import Request, Response

from benchmarks.fixed_latency.common import Latencies, Trace
from benchmarks.fixed_latency.llm import FixedLatencyLlm
from benchmarks.fixed_latency.stt import FixedLatencyStt
from benchmarks.fixed_latency.tts import FixedLatencyTts

Handler = Callable[[ServerConnection], Awaitable[None]]
KINDS = ("stt", "tts", "llm")


async def serve_speech(
    path: str, handler: Handler, trace: Trace, on_ready: Callable[[int], None]
) -> None:
    """A moshi-server-like WebSocket endpoint at `path`, plus `/api/build_info` and
    `/trace`; serves until cancelled."""

    def process_request(connection: ServerConnection, request: Request) -> Response | None:
        parts = urlsplit(request.path)
        if parts.path == "/api/build_info":
            return connection.respond(HTTPStatus.OK, '{"service": "fixed-latency"}')
        if parts.path == "/trace":
            answer = connection.respond(HTTPStatus.OK, json.dumps(trace.export()))
            if parse_qs(parts.query).get("reset"):
                trace.reset()
            return answer
        if parts.path != path:
            return connection.respond(HTTPStatus.NOT_FOUND, "Not Found\n")
        return None

    async def serve_connection(connection: ServerConnection) -> None:
        with contextlib.suppress(ConnectionClosed):
            await handler(connection)

    async with serve(
        serve_connection,
        "127.0.0.1",
        0,
        process_request=process_request,
        compression=None,  # moshi-server does not negotiate permessage-deflate
        max_size=None,
    ) as server:
        on_ready(server.sockets[0].getsockname()[1])
        await server.serve_forever()


async def serve_llm(latencies: Latencies, trace: Trace, on_ready: Callable[[int], None]) -> None:
    await serve_app(FixedLatencyLlm(latencies, trace).app(), on_ready)


async def serve_app(app: Starlette, on_ready: Callable[[int], None]) -> None:
    """Serve an HTTP app with uvicorn on a free loopback port until cancelled."""
    config = uvicorn.Config(app, host="127.0.0.1", port=0, log_level="warning", lifespan="off")
    http = uvicorn.Server(config)
    task = asyncio.create_task(http.serve())
    while not http.started:  # noqa: ASYNC110 (uvicorn offers a flag, not an event)
        await asyncio.sleep(0.01)
    on_ready(http.servers[0].sockets[0].getsockname()[1])
    await task


async def run_server(kind: str, latencies: Latencies, on_ready: Callable[[int], None]) -> None:
    trace = Trace()
    if kind == "stt":
        stt = FixedLatencyStt(latencies, trace)
        await serve_speech("/api/asr-streaming", stt.serve_stream, trace, on_ready)
    elif kind == "tts":
        tts = FixedLatencyTts(latencies, trace, recorded_voice())
        await serve_speech("/api/tts_streaming", tts.serve_stream, trace, on_ready)
    else:
        await serve_llm(latencies, trace, on_ready)


def recorded_voice() -> npt.NDArray[np.float32]:
    """Speech for the TTS to send (so the backend's Opus encoder sees real speech): the
    load tester's clips back to back."""
    from loadtest.clips import load_clips

    return np.concatenate([clip.pcm for clip in load_clips()])


def main() -> None:
    parser = argparse.ArgumentParser(description="A fixed-latency speech or LLM server.")
    parser.add_argument("kind", choices=KINDS)
    parser.add_argument("--port-file", type=Path, required=True)
    defaults = Latencies()
    for name in ("stt_step_s", "llm_first_token_s", "tts_first_audio_s", "tts_speed"):
        option = "--" + name.replace("_", "-")
        parser.add_argument(option, type=float, default=getattr(defaults, name))
    args = parser.parse_args()
    latencies = Latencies(
        stt_step_s=args.stt_step_s,
        llm_first_token_s=args.llm_first_token_s,
        tts_first_audio_s=args.tts_first_audio_s,
        tts_speed=args.tts_speed,
    )
    port_file: Path = args.port_file

    def write_port(port: int) -> None:
        port_file.write_text(str(port))

    asyncio.run(run_server(args.kind, latencies, write_port))


if __name__ == "__main__":
    main()
