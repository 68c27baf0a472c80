"""`DrainingServer`'s main loop: its housekeeping once a `HOUSEKEEPING_S`, not uvicorn's
ten times a second, and `should_exit` set from any thread wakes it at once.

Housekeeping is put an hour apart, so the server stops within the test only if setting
`should_exit` wakes it. (The SIGTERM path is `test_drain.py`'s.)"""

from __future__ import annotations

import asyncio
import threading

import httpx
import pytest
import uvicorn
from fastapi import FastAPI

from ops import draining_server
from ops.draining_server import DrainingServer

GUARD_S = 10.0


async def _nothing_to_drain() -> None:
    return None


async def test_should_exit_set_from_another_thread_stops_it_without_polling(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(draining_server, "HOUSEKEEPING_S", 3600.0)
    app = FastAPI()

    @app.get("/")
    def hello() -> dict[str, str]:
        return {"hello": "world"}

    config = uvicorn.Config(app, host="127.0.0.1", port=0, log_level="warning", lifespan="off")
    server = DrainingServer(config, _nothing_to_drain)
    housekeeping: list[int] = []
    on_tick = server.on_tick

    async def counted_on_tick(counter: int) -> bool:
        housekeeping.append(counter)
        return await on_tick(counter)

    monkeypatch.setattr(server, "on_tick", counted_on_tick)
    serving = asyncio.create_task(server.serve())
    async with asyncio.timeout(GUARD_S):
        while not server.started:
            await asyncio.sleep(0.01)
    host, port = server.servers[0].sockets[0].getsockname()[:2]
    async with httpx.AsyncClient(base_url=f"http://{host}:{port}") as http:
        answer = await http.get("/")
    assert answer.json() == {"hello": "world"}
    assert answer.headers["date"].endswith("GMT")  # the housekeeping's header is there

    await asyncio.sleep(0.3)  # uvicorn's own loop would have woken three times by now
    threading.Thread(target=setattr, args=(server, "should_exit", True)).start()
    async with asyncio.timeout(GUARD_S):
        await serving
    # One housekeeping as it started, one when `should_exit` woke it, none in between.
    assert housekeeping == [0, 0]
