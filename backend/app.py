"""The backend's HTTP and WebSocket routes (protocols.md §1)."""

from __future__ import annotations

import gc
import logging
import time
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from typing import Annotated, Any

import httpx
from fastapi import FastAPI, File, HTTPException, Request, Response, UploadFile, WebSocket
from fastapi.middleware.cors import CORSMiddleware
from fastapi.responses import JSONResponse
from fastapi.staticfiles import StaticFiles
from prometheus_client import CONTENT_TYPE_LATEST
from starlette.types import ASGIApp, Receive, Scope, Send

from backend.capacity import NoSeat
from backend.clients.instances import http_base_url
from backend.conversation_runner import ConversationRunner
from backend.health import Health
from backend.metrics import BackendMetrics
from backend.openai_realtime import auth as openai_auth
from backend.realtime import public_errors
from backend.services import Services
from backend.session import ConversationSession
from backend.settings import Settings
from backend.tools.process import configured_toolbox

logger = logging.getLogger(__name__)

MAX_VOICE_UPLOAD_BYTES = 10 * 1024 * 1024  # a minute of WAV; cloning needs ~10 s
RETRY_AFTER_S = 5  # when full: long enough for a conversation slot to free up somewhere
VOICE_CLONING_TIMEOUT_S = 30.0


class StripApiPrefix:
    """Serve `/api/v1/...` like `/v1/...`, as a proxy that strips `/api` would."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] in ("http", "websocket"):
            path: str = scope["path"]
            if path == "/api" or path.startswith("/api/"):
                scope = {**scope, "path": path[4:] or "/", "root_path": scope.get("root_path", "")}
        await self.app(scope, receive, send)


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or Settings()
    metrics = BackendMetrics()  # this app's own: tests run many apps in one process

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        services = Services.create(settings, metrics)
        app.state.services = services
        try:
            # One client per MCP server for the whole process; a bad file stops the start.
            async with configured_toolbox(settings.tools_config) as toolbox:
                services.toolbox = toolbox
                # Everything loaded so far lives as long as the process: keep it out of the
                # collector's full passes, which otherwise pause every conversation for ~50 ms.
                gc.freeze()
                yield
        finally:
            # What outlives the app (an embedding process, tests) is collected again.
            gc.unfreeze()
            await services.aclose()

    app = FastAPI(title="Unmute backend", lifespan=lifespan, docs_url=None, redoc_url=None)
    app.state.metrics = metrics
    app.add_middleware(StripApiPrefix)
    # A browser app served from another origin (a CDN) reads /v1/health and /v1/voices.
    app.add_middleware(
        CORSMiddleware,
        allow_origins=settings.origin_list(),
        allow_methods=["GET", "POST"],
        allow_headers=["*"],
    )

    def services_of(request: Request | WebSocket) -> Services:
        services: Services = request.app.state.services
        return services

    @app.get("/v1/health")
    async def health(request: Request) -> Health:
        return await services_of(request).health.check()

    @app.get("/v1/ready")
    async def ready(request: Request) -> JSONResponse:
        seats = services_of(request).seats
        body = {"ready": seats.ready, "sessions": seats.in_use, "capacity": seats.capacity}
        return JSONResponse(body, status_code=200 if seats.ready else 503)

    @app.get("/v1/voices")
    async def voices(request: Request) -> list[dict[str, Any]]:
        return [v.model_dump(mode="json") for v in services_of(request).catalog.list_voices()]

    @app.post("/v1/voices")
    async def upload_voice(request: Request, file: Annotated[UploadFile, File()]) -> dict[str, str]:
        services = services_of(request)
        cloning_url = services.settings.voice_cloning_url
        if not cloning_url:
            raise HTTPException(503, "Voice cloning is not available on this server.")
        clip = await file.read(MAX_VOICE_UPLOAD_BYTES + 1)
        if len(clip) > MAX_VOICE_UPLOAD_BYTES:
            raise HTTPException(413, f"Voice clips are limited to {MAX_VOICE_UPLOAD_BYTES} bytes.")
        if not clip:
            raise HTTPException(400, "The uploaded file is empty.")
        try:
            async with httpx.AsyncClient(timeout=VOICE_CLONING_TIMEOUT_S, trust_env=False) as http:
                answer = await http.post(
                    f"{http_base_url(cloning_url)}/api/voice",
                    content=clip,
                    headers={
                        "content-type": "application/octet-stream",
                        "kyutai-api-key": services.settings.speech_api_key,
                    },
                )
        except httpx.HTTPError as error:
            logger.warning("voice cloning failed: %s", error)
            raise HTTPException(503, "Voice cloning is unavailable right now.") from error
        if answer.status_code >= 500:
            raise HTTPException(503, "Voice cloning is unavailable right now.")
        if answer.status_code != 200:
            # The service's reason may name its internals: it goes to the log only.
            logger.warning(
                "voice cloning refused a clip: HTTP %d: %.300s", answer.status_code, answer.text
            )
            raise HTTPException(
                400, "The voice clip was refused: try a few seconds of clear speech (WAV or MP3)."
            )
        return {"name": services.voices.add(answer.content)}

    @app.get("/metrics")
    async def prometheus_metrics() -> Response:
        return Response(metrics.exposition(), media_type=CONTENT_TYPE_LATEST)

    @app.websocket("/v1/realtime")
    async def realtime(websocket: WebSocket) -> None:
        await serve_conversation(
            websocket, lambda services: ConversationSession(websocket, services)
        )

    @app.websocket("/openai/v1/realtime")
    async def openai_realtime(websocket: WebSocket) -> None:
        """OpenAI's Realtime API: SDKs with `base_url=http://host:port/openai/v1` land here."""
        services = services_of(websocket)
        keys = openai_auth.parse_keys(services.settings.openai_api_keys)
        presented = openai_auth.presented_key(
            websocket.headers, websocket.scope.get("subprotocols", [])
        )
        if not openai_auth.key_accepted(keys, presented):
            metrics.sessions_refused.labels("api_key").inc()
            body = {
                "error": {
                    "type": "invalid_request_error",
                    "code": "invalid_api_key",
                    "message": "Incorrect or missing API key: send Authorization: Bearer <key>.",
                    "param": None,
                }
            }
            await websocket.send_denial_response(JSONResponse(body, 401))
            return
        model = websocket.query_params.get("model") or "unmute"
        # Imported on first use: the `openai` SDK's types cost ~40 MiB a process does not
        # need until a client opens this route.
        from backend.openai_realtime.session import OpenAiRealtimeSession

        await serve_conversation(
            websocket, lambda services: OpenAiRealtimeSession(websocket, services, model)
        )

    async def serve_conversation(
        websocket: WebSocket, make_session: Callable[[Services], ConversationRunner]
    ) -> None:
        services = services_of(websocket)
        if not services.settings.origin_allowed(websocket.headers.get("origin")):
            metrics.sessions_refused.labels("origin").inc()
            await websocket.send_denial_response(
                JSONResponse(public_errors.ORIGIN_REFUSED.refusal_body(), 403)
            )
            return
        try:
            async with services.seats.seat():
                wanted = websocket.scope.get("subprotocols", [])
                await websocket.accept(subprotocol="realtime" if "realtime" in wanted else None)
                metrics.sessions.inc()
                started = time.monotonic()
                session = make_session(services)
                services.sessions.add(session)
                try:
                    await session.run()
                finally:
                    services.sessions.discard(session)
                    services.cycles.conversation_ended()
                    metrics.session_duration.observe(time.monotonic() - started)
        except NoSeat as refusal:
            metrics.sessions_refused.labels(refusal.reason).inc()
            why = (
                public_errors.RESTARTING if refusal.reason == "draining" else public_errors.NO_SEAT
            )
            await websocket.send_denial_response(
                JSONResponse(
                    why.refusal_body(),
                    status_code=503,
                    headers={"Retry-After": str(RETRY_AFTER_S)},
                )
            )

    if settings.frontend_dir:
        # Local mode: the browser app from the same origin, the API under /api.
        app.mount("/", StaticFiles(directory=settings.frontend_dir, html=True), name="frontend")
    return app
