"""The CPU TTS server: moshi-server's `tts_streaming` protocol, spoken by espeak-ng or
a Piper voice (`embedded.tts.piper_engine`).

`GET /api/tts_streaming?format=PcmMessagePack&voice=<id>` upgrades to a WebSocket; the
`kyutai-api-key` header or `?auth_id=` must match (else HTTP 401 at the upgrade). Then
`Ready` when a slot is free (else `Error "no free channels"` and close), words in,
`Text` timestamps and `Audio` frames out, and a close once the audio after `Eos` is done.
"""

from __future__ import annotations

import logging
from typing import Any

from fastapi import FastAPI, WebSocket
from prometheus_client import CollectorRegistry

from backend.speech_protocol.codec import Error, Ready, encode
from backend.speech_protocol.constants import NO_FREE_CHANNELS
from embedded.frame_connection import ClientLeft, FrameConnection, refuse_upgrade
from embedded.speech_common import SlotPool, add_common_routes, api_key_ok
from embedded.tts.engine import shared_engine
from embedded.tts.metrics import TtsMetrics
from embedded.tts.stream import TtsStream
from embedded.tts.synthesizer import Synthesizer

logger = logging.getLogger(__name__)

_INTERNAL_ERROR_CLOSE_CODE = 1011


def create_app(slots: int, api_key: str | None, engine: Synthesizer[Any] | None = None) -> FastAPI:
    """The TTS app with `slots` concurrent streams; `api_key=None` accepts any client.
    It speaks with espeak-ng unless given another engine."""
    app = FastAPI(title="Unmute embedded TTS")
    registry = CollectorRegistry()
    pool = SlotPool(slots)
    metrics = TtsMetrics(registry)
    speaker: Synthesizer[Any] = engine or shared_engine()
    add_common_routes(app, service="tts", slots=pool, registry=registry)

    @app.websocket("/api/tts_streaming")
    async def tts_streaming(websocket: WebSocket) -> None:
        if not api_key_ok(api_key, websocket.headers, websocket.query_params):
            await refuse_upgrade(websocket)
            return
        await websocket.accept()
        connection = FrameConnection(websocket)
        if not pool.try_acquire():
            metrics.refused.inc()
            await connection.send_and_close(encode(Error(NO_FREE_CHANNELS)))
            return
        metrics.streams.inc()
        try:
            stream = TtsStream(
                engine=speaker,
                voice=speaker.voice_for_id(websocket.query_params.get("voice")),
                send=connection.send,
                metrics=metrics,
            )
            await connection.send(encode(Ready()))
            await stream.run(connection.receive)
            if not connection.left:
                await websocket.close()
        except ClientLeft:
            pass
        except Exception:
            logger.exception("TTS stream failed")
            await connection.send_and_close(
                encode(Error("internal error")), code=_INTERNAL_ERROR_CLOSE_CODE
            )
        finally:
            pool.release()

    return app
