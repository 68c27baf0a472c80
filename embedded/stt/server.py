"""The CPU STT server: moshi-server's `asr-streaming` protocol, recognised by pocketsphinx
or Whisper (see `engines`).

`/api/asr-streaming` upgrades to a WebSocket when the `kyutai-api-key` header or
`?auth_id=` matches (else HTTP 401 at the upgrade). Then `Ready` once a slot is free
(else `Error "no free channels"` and close); `Audio` and `Marker` in; `Step` per 80 ms
frame, `Word`/`EndWord` as words become final and `Marker` echoes out. Each slot owns a
recogniser process, started with the server (see `worker_pool`).

Pings: moshi-server pings every 10 s; here the WebSocket layer (uvicorn) sends them, at
the `ws_ping_interval` the server is run with (`PING_INTERVAL_S`).
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI, WebSocket
from prometheus_client import CollectorRegistry

from backend.speech_protocol.codec import Error, Ready, encode
from backend.speech_protocol.constants import NO_FREE_CHANNELS
from embedded.frame_connection import ClientLeft, FrameConnection, refuse_upgrade
from embedded.speech_common import SlotPool, add_common_routes, api_key_ok
from embedded.stt.engines import SttEngine
from embedded.stt.metrics import SttMetrics
from embedded.stt.stream import IDLE_TIMEOUT_S, StreamEnd, SttStream
from embedded.stt.worker_pool import RecognizerPool

logger = logging.getLogger(__name__)

# For the server that runs this app (uvicorn's `ws_ping_interval`): moshi-server pings
# every 10 s, which keeps idle connections alive through proxies.
PING_INTERVAL_S = 10.0
_CLOSE_CODES = {StreamEnd.IDLE: 1000, StreamEnd.RECOGNIZER_FAILED: 1011}


def create_app(
    slots: int,
    api_key: str | None,
    *,
    idle_timeout_s: float = IDLE_TIMEOUT_S,
    engine: SttEngine | None = None,
) -> FastAPI:
    """The STT app with `slots` concurrent streams; `api_key=None` accepts any client.

    `engine` defaults to pocketsphinx; a Whisper engine should come from
    `engines.whisper_engine`, which checks its model first.
    """
    engine = engine or SttEngine()
    slot_pool = SlotPool(slots)
    recognizers = RecognizerPool(slots, engine.worker_command())
    voice_activity = engine.voice_activity()
    registry = CollectorRegistry()
    metrics = SttMetrics(registry)

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        await recognizers.start()
        try:
            yield
        finally:
            await recognizers.stop()

    app = FastAPI(title="Unmute embedded STT", lifespan=lifespan)
    add_common_routes(app, service="stt", slots=slot_pool, registry=registry)

    @app.websocket("/api/asr-streaming")
    async def asr_streaming(websocket: WebSocket) -> None:
        if not api_key_ok(api_key, websocket.headers, websocket.query_params):
            await refuse_upgrade(websocket)
            return
        await websocket.accept()
        connection = FrameConnection(websocket)
        has_slot = slot_pool.try_acquire()
        worker = recognizers.take() if has_slot else None
        if worker is None:
            if has_slot:  # its recogniser is restarting: as busy as a full server
                slot_pool.release()
            metrics.refused.inc()
            await connection.send_and_close(encode(Error(NO_FREE_CHANNELS)))
            return
        metrics.streams.inc()
        metrics.streams_active.inc()
        try:
            stream = SttStream(
                worker=worker,
                send=connection.send,
                metrics=metrics,
                idle_timeout_s=idle_timeout_s,
                voice_activity=voice_activity(),
            )
            await connection.send(encode(Ready()))
            end = await stream.run(connection.receive)
            if end is not StreamEnd.CLIENT_LEFT:
                await connection.close(_CLOSE_CODES[end])
        except ClientLeft:
            pass
        except Exception:
            logger.exception("STT stream failed")
            await connection.send_and_close(encode(Error("internal error")), code=1011)
        finally:
            recognizers.give_back(worker)
            slot_pool.release()
            metrics.streams_active.dec()

    return app
