"""An OpenAI-compatible HTTP server around the rule-based responder.

    GET  /v1/models             exactly one model, `unmute-standin`
    POST /v1/chat/completions   a `chat.completion`, or Server-Sent Events with `stream`

Replies stream word by word with a small delay, standing in for a fast GPU-served LLM.
The delay comes from `create_app(word_delay_s=…)` or `UNMUTE_LLM_STANDIN_WORD_DELAY_S`.
"""

from __future__ import annotations

import asyncio
import hmac
from collections.abc import AsyncIterator
from typing import Annotated

from fastapi import Depends, FastAPI, Request
from fastapi.responses import JSONResponse, Response, StreamingResponse
from pydantic import Field, ValidationError
from pydantic_settings import BaseSettings, SettingsConfigDict
from starlette.exceptions import HTTPException

from embedded.llm.completion import PlannedReply, chunks, completion, plan_reply
from embedded.llm.wire import (
    MODEL_ID,
    ChatCompletionRequest,
    ErrorBody,
    ErrorDetail,
    ModelCard,
    ModelList,
    now,
)

# About 50 words a second, the pace of a fast GPU-served model: well ahead of speech
# (about 3 words a second), and only a few tens of ms added to the voice-to-voice latency.
DEFAULT_WORD_DELAY_S = 0.02


class StandInSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="UNMUTE_LLM_STANDIN_", extra="ignore")

    word_delay_s: Annotated[float, Field(ge=0.0, le=5.0)] = DEFAULT_WORD_DELAY_S


class OpenAIError(Exception):
    """Answered as `{"error": {...}}` with `status`, the way OpenAI reports failures."""

    def __init__(
        self,
        status: int,
        message: str,
        *,
        type_: str = "invalid_request_error",
        param: str | None = None,
        code: str | None = None,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.detail = ErrorDetail(message=message, type=type_, param=param, code=code)


def create_app(api_key: str | None = None, *, word_delay_s: float | None = None) -> FastAPI:
    """The stand-in server; with `api_key`, every `/v1` request needs that Bearer token."""
    delay = StandInSettings().word_delay_s if word_delay_s is None else word_delay_s
    app = FastAPI(title="Unmute LLM stand-in", docs_url=None, redoc_url=None)
    created = now()

    @app.exception_handler(OpenAIError)
    async def openai_error(_: Request, error: OpenAIError) -> JSONResponse:
        headers = {"WWW-Authenticate": "Bearer"} if error.status == 401 else None
        body = ErrorBody(error=error.detail).model_dump()
        return JSONResponse(body, status_code=error.status, headers=headers)

    @app.exception_handler(HTTPException)
    async def http_error(_: Request, error: HTTPException) -> JSONResponse:
        detail = ErrorDetail(message=str(error.detail), type="invalid_request_error")
        return JSONResponse(ErrorBody(error=detail).model_dump(), status_code=error.status_code)

    async def require_api_key(request: Request) -> None:
        if api_key is None:
            return
        scheme, _, token = request.headers.get("authorization", "").partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            raise OpenAIError(401, "You didn't provide an API key.", code="invalid_api_key")
        if not hmac.compare_digest(token.strip().encode(), api_key.encode()):
            raise OpenAIError(401, "Incorrect API key provided.", code="invalid_api_key")

    authorized = [Depends(require_api_key)]

    @app.get("/v1/models", dependencies=authorized)
    async def list_models() -> ModelList:
        return ModelList(data=[ModelCard(id=MODEL_ID, created=created)])

    @app.post("/v1/chat/completions", dependencies=authorized, response_model=None)
    async def chat_completions(request: Request) -> Response:
        body = await _parse(request)
        reply = plan_reply(body)
        if not body.stream:
            return JSONResponse(completion(reply).model_dump())
        include_usage = body.stream_options is not None and body.stream_options.include_usage
        return StreamingResponse(
            _events(reply, include_usage=include_usage, word_delay_s=delay),
            media_type="text/event-stream",
            headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"},
        )

    return app


async def _parse(request: Request) -> ChatCompletionRequest:
    raw = await request.body()
    try:
        return ChatCompletionRequest.model_validate_json(raw)
    except ValidationError as error:
        first = error.errors()[0]
        param = ".".join(str(part) for part in first["loc"]) or None
        where = f"{param}: " if param else ""
        raise OpenAIError(400, f"{where}{first['msg']}", param=param) from error


async def _events(
    reply: PlannedReply, *, include_usage: bool, word_delay_s: float
) -> AsyncIterator[str]:
    for chunk in chunks(reply, include_usage=include_usage):
        choices = chunk.choices
        if choices and choices[0].delta.content and word_delay_s > 0:
            await asyncio.sleep(word_delay_s)
        yield f"data: {chunk.model_dump_json()}\n\n"
    yield "data: [DONE]\n\n"
