"""The OpenAI-compatible HTTP server around a `LlamaEngine`.

    GET  /v1/models             the one model served (named after its file)
    POST /v1/chat/completions   a `chat.completion`, or Server-Sent Events with `stream`

A stream's usage (`stream_options.include_usage`) reports in
`prompt_tokens_details.cached_tokens` how much of the prompt was reused rather than
computed. When a client disconnects, its reply stops at the next token.
"""

from __future__ import annotations

import hmac
import logging
from collections.abc import AsyncIterator

from fastapi import Depends, FastAPI, Request
from fastapi.responses import JSONResponse, Response, StreamingResponse
from pydantic import ValidationError
from starlette.exceptions import HTTPException
from starlette.types import Receive, Scope, Send

from embedded.llm.chat_template import InvalidConversation
from embedded.llm.completion import Reply
from embedded.llm.engine import LlamaEngine, PromptTooLong
from embedded.llm.generation import Generation, Sampling
from embedded.llm.reply_length import ReplyLength
from embedded.llm.wire import (
    ChatCompletionRequest,
    ErrorBody,
    ErrorDetail,
    ModelCard,
    ModelList,
    now,
)

logger = logging.getLogger(__name__)


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


def create_app(engine: LlamaEngine, api_key: str | None = None) -> FastAPI:
    """With `api_key`, every `/v1` request needs that Bearer token. The caller owns
    `engine` (and closes it)."""
    app = FastAPI(title="Unmute LLM (llama.cpp)", docs_url=None, redoc_url=None)
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
        return ModelList(data=[ModelCard(id=engine.name, created=created)])

    @app.post("/v1/chat/completions", dependencies=authorized, response_model=None)
    async def chat_completions(request: Request) -> Response:
        body = await _parse(request)
        try:
            prompt = engine.prepare(body.messages)
        except PromptTooLong as error:
            raise OpenAIError(
                400, str(error), param="messages", code="context_length_exceeded"
            ) from None
        except InvalidConversation as error:
            raise OpenAIError(400, str(error), param="messages") from None
        # The request's max_tokens is a hard limit; without one, ours ends on a sentence.
        length = ReplyLength(engine.settings.max_reply_tokens)
        limit = body.token_limit()
        sampling = Sampling(
            temperature=body.temperature,
            top_p=body.top_p,
            max_tokens=length.hard_tokens if limit is None else limit,
            length=length if limit is None else None,
            stop=tuple(body.stop_sequences()),
            seed=body.seed,
            presence_penalty=body.presence_penalty,
            frequency_penalty=body.frequency_penalty,
        )
        reply = Reply(model=body.model or engine.name)
        generation = engine.start(prompt, sampling)
        if not body.stream:
            try:
                text = "".join([piece async for piece in generation.texts()])
            finally:
                generation.cancel()  # this request was abandoned, if it did not finish
            return JSONResponse(reply.whole(text, generation.result).model_dump())
        include_usage = body.stream_options is not None and body.stream_options.include_usage
        return _GenerationStream(generation, _events(generation, reply, include_usage))

    return app


class _GenerationStream(StreamingResponse):
    """Ends its generation however the response ends: sent, failed, or its client gone."""

    def __init__(self, generation: Generation, events: AsyncIterator[str]) -> None:
        super().__init__(
            events,
            media_type="text/event-stream",
            headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"},
        )
        self._generation = generation

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        try:
            await super().__call__(scope, receive, send)
        finally:
            self._generation.cancel()


async def _events(generation: Generation, reply: Reply, include_usage: bool) -> AsyncIterator[str]:
    yield _sse(reply.opening().model_dump_json())
    try:
        async for piece in generation.texts():
            yield _sse(reply.text(piece).model_dump_json())
    except Exception as error:  # the headers are sent: report it the way OpenAI does
        detail = ErrorDetail(message=f"generation failed: {error}", type="server_error")
        yield _sse(ErrorBody(error=detail).model_dump_json())
        return
    result = generation.result
    yield _sse(reply.ending(result).model_dump_json())
    if include_usage:
        yield _sse(reply.usage(result).model_dump_json())
    yield _sse("[DONE]")


def _sse(data: str) -> str:
    return f"data: {data}\n\n"


async def _parse(request: Request) -> ChatCompletionRequest:
    raw = await request.body()
    try:
        return ChatCompletionRequest.model_validate_json(raw)
    except ValidationError as error:
        first = error.errors()[0]
        param = ".".join(str(part) for part in first["loc"]) or None
        where = f"{param}: " if param else ""
        raise OpenAIError(400, f"{where}{first['msg']}", param=param) from None
