"""Serving the backend: uvicorn, plus a graceful drain on SIGTERM.

On the first SIGTERM (or Ctrl-C) the backend turns not-ready and takes no new sessions,
lets live conversations finish for up to `drain_grace_s`, closes what is left with 1001
(going away: the browser reconnects elsewhere), and only then lets uvicorn stop. A second
signal stops at once.
"""

from __future__ import annotations

import asyncio
import logging
import socket
from types import FrameType

import uvicorn

from backend.app import create_app
from backend.services import Services
from backend.settings import Settings

logger = logging.getLogger(__name__)

MAX_WS_MESSAGE_BYTES = 16 * 1024 * 1024  # past our own 1 MB check, so the client hears why
GOING_AWAY_WAIT_S = 3.0  # for the last sessions to close after being told to go away


async def drain(services: Services, grace_s: float) -> None:
    services.seats.start_draining()
    live = services.seats.in_use
    logger.info("draining: %d conversation(s) may finish within %.0f s", live, grace_s)
    if await services.seats.wait_empty(grace_s):
        return
    logger.info("closing %d conversation(s) still running", services.seats.in_use)
    for session in list(services.sessions):
        session.go_away()
    await services.seats.wait_empty(GOING_AWAY_WAIT_S)


class DrainingServer(uvicorn.Server):
    def __init__(self, config: uvicorn.Config, grace_s: float) -> None:
        super().__init__(config)
        self._grace_s = grace_s
        self._loop: asyncio.AbstractEventLoop | None = None
        self._draining = False
        self._drain_task: asyncio.Task[None] | None = None

    async def startup(self, sockets: list[socket.socket] | None = None) -> None:
        self._loop = asyncio.get_running_loop()
        await super().startup(sockets)

    def handle_exit(self, sig: int, frame: FrameType | None) -> None:
        if self._draining or self._loop is None:
            super().handle_exit(sig, frame)
            return
        self._draining = True
        self._loop.call_soon_threadsafe(lambda: self._loop_task(sig, frame))

    def _loop_task(self, sig: int, frame: FrameType | None) -> None:
        self._drain_task = asyncio.ensure_future(self._drain_then_exit(sig, frame))

    async def _drain_then_exit(self, sig: int, frame: FrameType | None) -> None:
        app = self.config.loaded_app
        services: Services | None = getattr(getattr(app, "state", None), "services", None)
        if services is None:  # the app is wrapped by uvicorn's middleware: find the FastAPI
            services = _find_services(app)
        if services is not None:
            await drain(services, self._grace_s)
        super().handle_exit(sig, frame)


def _find_services(app: object) -> Services | None:
    for _ in range(8):  # uvicorn wraps the app in a few middleware layers
        state = getattr(app, "state", None)
        if state is not None and hasattr(state, "services"):
            services: Services = state.services
            return services
        app = getattr(app, "app", None)
    return None


def run_backend(host: str, port: int, settings: Settings | None = None) -> None:
    settings = settings or Settings()
    config = uvicorn.Config(
        create_app(settings),
        host=host,
        port=port,
        log_level="info",
        ws_max_size=MAX_WS_MESSAGE_BYTES,
    )
    DrainingServer(config, settings.drain_grace_s).run()
