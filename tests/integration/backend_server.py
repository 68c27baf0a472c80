"""Run the backend for a test: in this event loop, or as `unmute-ops serve backend`."""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import httpx
import uvicorn
from fastapi import FastAPI

from backend.app import create_app
from backend.realtime.browser_websocket import BrowserWebSocketProtocol
from backend.settings import Settings

UNMUTE_OPS = Path(sys.executable).with_name("unmute-ops")


@asynccontextmanager
async def backend_in_process(**settings: Any) -> AsyncIterator[str]:
    """Yields `host:port` of a backend served by uvicorn inside the test's event loop."""
    async with backend_app_in_process(**settings) as (address, _):
        yield address


@asynccontextmanager
async def backend_app_in_process(**settings: Any) -> AsyncIterator[tuple[str, FastAPI]]:
    """Like `backend_in_process`, also yielding the app: its `state.services`, and its
    `state.metrics`, which count for this app alone."""
    app = create_app(Settings(**settings))
    async with serving(app, ws_protocol=BrowserWebSocketProtocol) as address:
        yield address, app


@asynccontextmanager
async def serving(
    app: FastAPI,
    *,
    ws_protocol: type[asyncio.Protocol] | None = None,
    per_message_deflate: bool = False,
) -> AsyncIterator[str]:
    """Run any ASGI app with uvicorn on a free loopback port; yields `host:port`.
    `ws_protocol`: uvicorn's WebSocket protocol, as `unmute-ops serve` gives that app;
    like it, no permessage-deflate unless asked for."""
    config = uvicorn.Config(
        app,
        host="127.0.0.1",
        port=0,
        log_level="warning",
        ws_max_size=16 * 1024 * 1024,
        ws_per_message_deflate=per_message_deflate,
        ws=ws_protocol or "auto",
    )
    server = uvicorn.Server(config)
    task = asyncio.create_task(server.serve())
    while not server.started:
        if task.done():
            task.result()
        await asyncio.sleep(0.01)
    port = server.servers[0].sockets[0].getsockname()[1]
    try:
        yield f"127.0.0.1:{port}"
    finally:
        server.should_exit = True
        await task


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


@asynccontextmanager
async def backend_subprocess(
    env: dict[str, str], port: int | None = None
) -> AsyncIterator[tuple[str, subprocess.Popen[bytes]]]:
    """`unmute-ops serve backend` in its own process (on `port`, or a free one), once it
    answers; yields `host:port` and the process."""
    port = port or free_port()
    process = subprocess.Popen(
        [str(UNMUTE_OPS), "serve", "backend", "--host", "127.0.0.1", "--port", str(port)],
        env={**os.environ, **env},
    )
    address = f"127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        async with httpx.AsyncClient() as http:
            while True:
                assert process.poll() is None, "the backend exited during start-up"
                try:
                    if (await http.get(f"http://{address}/v1/ready")).status_code in (200, 503):
                        break
                except httpx.HTTPError:
                    pass
                assert time.monotonic() < deadline, "the backend did not start"
                await asyncio.sleep(0.1)
        yield address, process
    finally:
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
            try:
                process.wait(10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
