"""Run the fixed-latency STT, TTS and LLM servers in one process.

    python -m benchmarks.fixed_latency --ports-file ports.json

Once all three listen, their ports are written to the ports file as JSON
(`{"stt": …, "tts": …, "llm": …}`); `GET http://127.0.0.1:<llm>/trace` serves the stamps.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
from collections.abc import Awaitable, Callable
from http import HTTPStatus
from pathlib import Path
from urllib.parse import urlsplit

import numpy as np
import numpy.typing as npt
import uvicorn
from websockets.asyncio.server import Server, ServerConnection, serve
from websockets.exceptions import ConnectionClosed
from websockets.http11 import Request, Response

from benchmarks.fixed_latency.common import Latencies, Trace
from benchmarks.fixed_latency.llm import FixedLatencyLlm
from benchmarks.fixed_latency.stt import FixedLatencyStt
from benchmarks.fixed_latency.tts import FixedLatencyTts

Handler = Callable[[ServerConnection], Awaitable[None]]


async def serve_speech(path: str, handler: Handler) -> Server:
    """A moshi-server-like WebSocket endpoint at `path`, plus `/api/build_info`."""

    def process_request(connection: ServerConnection, request: Request) -> Response | None:
        route = urlsplit(request.path).path
        if route == "/api/build_info":
            return connection.respond(HTTPStatus.OK, '{"service": "fixed-latency"}')
        if route != path:
            return connection.respond(HTTPStatus.NOT_FOUND, "Not Found\n")
        return None

    async def serve_connection(connection: ServerConnection) -> None:
        with contextlib.suppress(ConnectionClosed):
            await handler(connection)

    return await serve(
        serve_connection,
        "127.0.0.1",
        0,
        process_request=process_request,
        compression=None,  # moshi-server does not negotiate permessage-deflate
        max_size=None,
    )


async def run_servers(
    latencies: Latencies,
    voice: npt.NDArray[np.float32],
    on_ready: Callable[[dict[str, int]], None],
) -> None:
    """Serve until cancelled; `on_ready` gets the ports once all three listen."""
    trace = Trace()
    stt = await serve_speech("/api/asr-streaming", FixedLatencyStt(latencies, trace).serve_stream)
    tts = await serve_speech(
        "/api/tts_streaming", FixedLatencyTts(latencies, trace, voice).serve_stream
    )
    app = FixedLatencyLlm(latencies, trace).app()
    config = uvicorn.Config(app, host="127.0.0.1", port=0, log_level="warning", lifespan="off")
    http = uvicorn.Server(config)
    http_task = asyncio.create_task(http.serve())
    while not http.started:  # noqa: ASYNC110 (uvicorn offers a flag, not an event)
        await asyncio.sleep(0.01)
    on_ready(
        {
            "stt": stt.sockets[0].getsockname()[1],
            "tts": tts.sockets[0].getsockname()[1],
            "llm": http.servers[0].sockets[0].getsockname()[1],
        }
    )
    await http_task


def recorded_voice() -> npt.NDArray[np.float32]:
    """Speech for the TTS to send (so the backend's Opus encoder sees real speech): the
    load tester's clips back to back."""
    from loadtest.clips import load_clips

    return np.concatenate([clip.pcm for clip in load_clips()])


def main() -> None:
    parser = argparse.ArgumentParser(description="Fixed-latency speech and LLM servers.")
    parser.add_argument("--ports-file", type=Path, required=True)
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
    ports_file: Path = args.ports_file

    def write_ports(ports: dict[str, int]) -> None:
        ports_file.write_text(json.dumps(ports))

    asyncio.run(run_servers(latencies, recorded_voice(), write_ports))


if __name__ == "__main__":
    main()
