"""An OpenAI-compatible chat server whose first token comes after a fixed delay.

The reply starts with the turn key found in the last user message, so the TTS can tell
which turn its first word belongs to. `GET /trace` serves its stamps.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import AsyncIterator

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response, StreamingResponse
from starlette.routing import Route

from benchmarks.fixed_latency.common import KEY_PATTERN, Latencies, Trace

REPLY = "That sounds good to me, tell me a little more about it please."
GREETING_FIRST_WORD = "Hello!"


class FixedLatencyLlm:
    def __init__(self, latencies: Latencies, trace: Trace) -> None:
        self.latencies = latencies
        self.trace = trace

    def app(self) -> Starlette:
        return Starlette(
            routes=[
                Route("/v1/models", self.models, methods=["GET"]),
                Route("/v1/chat/completions", self.complete, methods=["POST"]),
                Route("/trace", self.export_trace, methods=["GET"]),
            ]
        )

    async def models(self, request: Request) -> Response:
        model = {"id": "fixed-latency", "object": "model", "owned_by": "benchmarks"}
        return JSONResponse({"object": "list", "data": [model]})

    async def export_trace(self, request: Request) -> Response:
        response = JSONResponse(self.trace.export())
        if request.query_params.get("reset"):
            self.trace.reset()
        return response

    async def complete(self, request: Request) -> Response:
        received = time.monotonic()
        body = await request.json()
        users = [m["content"] for m in body.get("messages", []) if m.get("role") == "user"]
        # The last key: a clip the STT heard as two utterances carries two.
        keys = [m.group(0) for m in KEY_PATTERN.finditer(users[-1])] if users else []
        key = keys[-1] if keys else None
        if key is not None:
            self.trace.stamp(key, "llm_request_received", received)
        words = [key or GREETING_FIRST_WORD, *REPLY.split()]
        return StreamingResponse(self._stream(words, key, received), media_type="text/event-stream")

    async def _stream(
        self, words: list[str], key: str | None, received: float
    ) -> AsyncIterator[str]:
        delay = received + self.latencies.llm_first_token_s - time.monotonic()
        await asyncio.sleep(max(0.0, delay))
        for index, word in enumerate(words):
            if index:
                await asyncio.sleep(self.latencies.llm_word_interval_s)
            content = word if index == 0 else f" {word}"
            chunk = {"choices": [{"index": 0, "delta": {"content": content}}]}
            yield f"data: {json.dumps(chunk)}\n\n"
            # A streamed word is complete once the whitespace after it arrives, which is
            # when a client may pass it on: that is the second chunk.
            if index == 1 and key is not None:
                self.trace.stamp(key, "llm_first_word_complete_sent")
        done = {"choices": [{"index": 0, "delta": {}, "finish_reason": "stop"}]}
        yield f"data: {json.dumps(done)}\n\n"
        yield "data: [DONE]\n\n"
