"""The CPU TTS server: moshi-server's `tts_streaming` protocol, spoken by espeak-ng.

`GET /api/tts_streaming?format=PcmMessagePack&voice=<id>` upgrades to a WebSocket; the
`kyutai-api-key` header or `?auth_id=` must match (else HTTP 401 at the upgrade). Then
`Ready` when a slot is free (else `Error "no free channels"` and close), words in,
`Text` timestamps and `Audio` frames out, and a close once the audio after `Eos` is done.
"""

from __future__ import annotations

import logging

from fastapi import FastAPI, WebSocket
from fastapi.responses import PlainTextResponse
from prometheus_client import CollectorRegistry
from starlette.websockets import WebSocketDisconnect

from embedded.speech_common import NO_FREE_CHANNELS, SlotPool, add_common_routes, api_key_ok
from embedded.tts.engine import shared_engine
from embedded.tts.messages import ErrorOut, ReadyOut
from embedded.tts.metrics import TtsMetrics
from embedded.tts.stream import ClientLeft, TtsStream
from embedded.tts.voices import voice_for_id

logger = logging.getLogger(__name__)

_INTERNAL_ERROR_CLOSE_CODE = 1011


def create_app(slots: int, api_key: str | None) -> FastAPI:
    """The TTS app with `slots` concurrent streams; `api_key=None` accepts any client."""
    app = FastAPI(title="Unmute embedded TTS")
    registry = CollectorRegistry()
    pool = SlotPool(slots)
    metrics = TtsMetrics(registry)
    engine = shared_engine()
    add_common_routes(app, service="tts", slots=pool, registry=registry)

    @app.websocket("/api/tts_streaming")
    async def tts_streaming(websocket: WebSocket) -> None:
        if not api_key_ok(api_key, websocket.headers, websocket.query_params):
            await _refuse_upgrade(websocket)
            return
        await websocket.accept()
        connection = _Connection(websocket)
        if not pool.try_acquire():
            metrics.refused.inc()
            await connection.send_and_close(ErrorOut(NO_FREE_CHANNELS).to_frame())
            return
        metrics.streams.inc()
        try:
            stream = TtsStream(
                engine=engine,
                voice=voice_for_id(websocket.query_params.get("voice")),
                send=connection.send,
                metrics=metrics,
            )
            await connection.send(ReadyOut().to_frame())
            await stream.run(connection.receive)
            if not connection.left:
                await websocket.close()
        except ClientLeft:
            pass
        except Exception:
            logger.exception("TTS stream failed")
            await connection.send_and_close(
                ErrorOut("internal error").to_frame(), code=_INTERNAL_ERROR_CLOSE_CODE
            )
        finally:
            pool.release()

    return app


async def _refuse_upgrade(websocket: WebSocket) -> None:
    try:
        await websocket.send_denial_response(PlainTextResponse("invalid api key", 401))
    except RuntimeError:  # a server without the denial extension can only answer 403
        await websocket.close(code=1008)


class _Connection:
    """Starlette's WebSocket seen as the frames-in, frames-out pair a stream needs."""

    def __init__(self, websocket: WebSocket) -> None:
        self._websocket = websocket
        self.left = False

    async def receive(self) -> bytes | str | None:
        message = await self._websocket.receive()
        if message["type"] == "websocket.disconnect":
            self.left = True
            return None
        data: bytes | None = message.get("bytes")
        return data if data is not None else str(message.get("text") or "")

    async def send(self, frame: bytes) -> None:
        if self.left:
            raise ClientLeft
        try:
            await self._websocket.send_bytes(frame)
        except (WebSocketDisconnect, RuntimeError, OSError) as error:
            self.left = True
            raise ClientLeft from error

    async def send_and_close(self, frame: bytes, code: int = 1000) -> None:
        try:
            await self.send(frame)
            await self._websocket.close(code=code)
        except (ClientLeft, WebSocketDisconnect, RuntimeError, OSError):
            self.left = True
