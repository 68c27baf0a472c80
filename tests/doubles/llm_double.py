"""A scripted OpenAI-compatible chat server on a real loopback socket, for tests.

    async with LlmDouble(replies=["Hello there."]) as llm:
        client = LlmClient(llm.url)

Replies stream word by word (or in fixed-size character pieces) as Server-Sent Events,
with a keep-alive chunk (no `choices`) and an empty delta mixed in, like real servers.
Every request is recorded for assertions. The double can fail with an HTTP status,
hang at a chosen point, or stream reasoning before the answer.
"""

from __future__ import annotations

import asyncio
import json
import socket
import time
from collections.abc import AsyncIterator, Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from types import TracebackType
from typing import Any, Literal

import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response, StreamingResponse
from starlette.routing import Route

Messages = list[dict[str, str]]
HangPoint = Literal["before_headers", "after_headers", "mid_reply"]


@dataclass(frozen=True)
class ToolCallScript:
    """A tool call the reply makes; its arguments stream in pieces, as real servers do."""

    name: str
    arguments: str
    call_id: str = "call_double"


@dataclass(frozen=True)
class ScriptedReply:
    """One reply; `reasoning` streams first in the `reasoning_field` of the deltas, tool
    calls after the content."""

    content: str
    reasoning: str = ""
    reasoning_field: Literal["reasoning_content", "reasoning"] = "reasoning_content"
    tool_calls: tuple[ToolCallScript, ...] = ()


Reply = str | ScriptedReply
ReplyScript = Sequence[Reply] | Callable[[Messages], Reply]


@dataclass(frozen=True)
class RecordedRequest:
    messages: Messages
    temperature: float | None
    model: str | None
    stream: bool
    authorization: str | None
    body: dict[str, Any] = field(repr=False)


class _LoopbackServer(uvicorn.Server):
    @contextmanager
    def capture_signals(self) -> Iterator[None]:
        # Ctrl-C belongs to the test runner, not to a server living inside a test.
        yield


class LlmDouble:
    """Settings are plain attributes: a test may change them between requests."""

    def __init__(
        self,
        replies: ReplyScript = (),
        *,
        models: Sequence[str] = ("double-model",),
        chunk_delay_s: float = 0.0,
        chunk_chars: int | None = None,
        fail_status: int | None = None,
        fail_body: Any = None,
        fail_mid_reply: Any = None,
        hang: HangPoint | None = None,
        required_api_key: str | None = None,
    ) -> None:
        self.replies = replies
        self.models = list(models)
        self.chunk_delay_s = chunk_delay_s
        self.chunk_chars = chunk_chars  # None: one word per chunk
        self.fail_status = fail_status
        self.fail_body = fail_body  # the JSON body of a failure; None: a scripted one
        self.fail_mid_reply = fail_mid_reply  # sent as a chunk's `error` after the first word
        self.hang = hang
        self.required_api_key = required_api_key
        self.requests: list[RecordedRequest] = []
        self._next_reply = 0
        self._release_hangs = asyncio.Event()
        self._server: _LoopbackServer | None = None
        self._task: asyncio.Task[None] | None = None
        self._port = 0

    @property
    def url(self) -> str:
        """Base URL without `/v1`, like `UNMUTE_LLM_URL`."""
        return f"http://127.0.0.1:{self._port}"

    async def __aenter__(self) -> LlmDouble:
        app = Starlette(
            routes=[
                Route("/v1/models", self._list_models, methods=["GET"]),
                Route("/v1/chat/completions", self._chat_completions, methods=["POST"]),
            ]
        )
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(("127.0.0.1", 0))
        self._port = sock.getsockname()[1]
        config = uvicorn.Config(
            app, log_level="warning", lifespan="off", timeout_graceful_shutdown=1
        )
        self._server = _LoopbackServer(config)
        self._task = asyncio.create_task(self._server.serve(sockets=[sock]))
        while not self._server.started:
            if self._task.done():
                await self._task  # surfaces the startup error
            await asyncio.sleep(0.01)
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self._release_hangs.set()
        if self._server is not None and self._task is not None:
            self._server.should_exit = True
            await self._task

    # --- Routes ------------------------------------------------------------------------

    def _unauthorized(self, request: Request) -> Response | None:
        expected = f"Bearer {self.required_api_key}"
        if self.required_api_key and request.headers.get("authorization") != expected:
            return JSONResponse({"error": {"message": "invalid api key"}}, status_code=401)
        return None

    async def _list_models(self, request: Request) -> Response:
        if refusal := self._unauthorized(request):
            return refusal
        entries = [{"id": name, "object": "model", "owned_by": "double"} for name in self.models]
        return JSONResponse({"object": "list", "data": entries})

    async def _chat_completions(self, request: Request) -> Response:
        body: dict[str, Any] = await request.json()
        self.requests.append(
            RecordedRequest(
                messages=body.get("messages", []),
                temperature=body.get("temperature"),
                model=body.get("model"),
                stream=bool(body.get("stream")),
                authorization=request.headers.get("authorization"),
                body=body,
            )
        )
        if refusal := self._unauthorized(request):
            return refusal
        if self.fail_status is not None:
            body = self.fail_body
            if body is None:
                body = {"error": {"message": "scripted failure", "code": self.fail_status}}
            return JSONResponse(body, status_code=self.fail_status)
        if self.hang == "before_headers":
            await self._release_hangs.wait()
        reply = self._take_reply(body.get("messages", []))
        model = body.get("model") or (self.models[0] if self.models else "double-model")
        usage = (
            _word_counts(body) if (body.get("stream_options") or {}).get("include_usage") else None
        )
        return StreamingResponse(self._events(reply, model, usage), media_type="text/event-stream")

    def _take_reply(self, messages: Messages) -> ScriptedReply:
        if callable(self.replies):
            reply = self.replies(messages)
        else:
            if self._next_reply >= len(self.replies):
                raise RuntimeError("the LLM double has no scripted reply left")
            reply = self.replies[self._next_reply]
            self._next_reply += 1
        return reply if isinstance(reply, ScriptedReply) else ScriptedReply(reply)

    # --- Streaming ---------------------------------------------------------------------

    async def _events(
        self, reply: ScriptedReply, model: str, prompt_tokens: int | None = None
    ) -> AsyncIterator[str]:
        completion_id = f"chatcmpl-double{len(self.requests)}"
        created = int(time.time())

        def chunk(choices: list[dict[str, Any]]) -> str:
            payload = {
                "id": completion_id,
                "object": "chat.completion.chunk",
                "created": created,
                "model": model,
                "choices": choices,
            }
            return f"data: {json.dumps(payload)}\n\n"

        def delta(fields: dict[str, str], finish: str | None = None) -> str:
            return chunk([{"index": 0, "delta": fields, "finish_reason": finish}])

        if self.hang == "after_headers":
            yield ": connected\n\n"  # a comment line, so the headers leave now
            await self._release_hangs.wait()
        yield delta({"role": "assistant", "content": ""})
        yield chunk([])  # keep-alive
        pieces: list[tuple[str, str]] = [
            (reply.reasoning_field, p) for p in self._split(reply.reasoning)
        ]
        pieces += [("content", p) for p in self._split(reply.content)]
        for index, (field_name, piece) in enumerate(pieces):
            if self.hang == "mid_reply" and index == 1:
                await self._release_hangs.wait()
            if self.chunk_delay_s:
                await asyncio.sleep(self.chunk_delay_s)
            yield delta({field_name: piece})
            if index == 0:
                yield chunk([])
                if self.fail_mid_reply is not None:  # as OpenRouter reports a failure
                    yield f"data: {json.dumps({'error': self.fail_mid_reply})}\n\n"
                    return
        for index, call in enumerate(reply.tool_calls):
            head = {"index": index, "id": call.call_id, "type": "function"}
            yield chunk(
                [{"index": 0, "delta": {"tool_calls": [{**head, "function": {"name": call.name}}]}}]
            )
            for piece in self._split_chars(call.arguments, 8):
                fields = {"index": index, "function": {"arguments": piece}}
                yield chunk([{"index": 0, "delta": {"tool_calls": [fields]}}])
        yield delta({}, finish="tool_calls" if reply.tool_calls else "stop")
        if prompt_tokens is not None:  # a word counts as a token, so tests can predict it
            completion_tokens = len(reply.content.split())
            usage = {
                "prompt_tokens": prompt_tokens,
                "completion_tokens": completion_tokens,
                "total_tokens": prompt_tokens + completion_tokens,
            }
            yield f"data: {json.dumps({'choices': [], 'usage': usage})}\n\n"
        yield "data: [DONE]\n\n"

    @staticmethod
    def _split_chars(text: str, size: int) -> list[str]:
        return [text[i : i + size] for i in range(0, len(text), size)]

    def _split(self, text: str) -> list[str]:
        if not text:
            return []
        if self.chunk_chars:
            return [text[i : i + self.chunk_chars] for i in range(0, len(text), self.chunk_chars)]
        words = text.split(" ")
        return [words[0]] + [" " + word for word in words[1:]]


def _word_counts(body: dict[str, Any]) -> int:
    """The request's prompt size in words, reported as its tokens."""
    return sum(len(str(m.get("content") or "").split()) for m in body.get("messages", []))
