"""An OpenAI-compatible chat server paced like a GPU LLM: 20–23 words per reply, one
token every 10 ms after 150 ms."""

from __future__ import annotations

import asyncio
import json
import random
from collections.abc import AsyncIterator

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response, StreamingResponse
from starlette.routing import Route

FIRST_TOKEN_S = 0.15
TOKEN_INTERVAL_S = 0.01
WORDS_PER_REPLY = (20, 23)
REPLY = (
    "That is a good question and I am happy to help you with it, so let me think about "
    "the best way to explain what is going on here in a few simple words for you now."
)


class PacedLlm:
    def __init__(self, seed: int = 0) -> None:
        self._random = random.Random(seed)

    def app(self) -> Starlette:
        return Starlette(
            routes=[
                Route("/v1/models", self.models, methods=["GET"]),
                Route("/v1/chat/completions", self.complete, methods=["POST"]),
            ]
        )

    async def models(self, request: Request) -> Response:
        model = {"id": "paced", "object": "model", "owned_by": "benchmarks"}
        return JSONResponse({"object": "list", "data": [model]})

    async def complete(self, request: Request) -> Response:
        await request.json()
        count = self._random.randint(*WORDS_PER_REPLY)
        return StreamingResponse(
            self._stream(REPLY.split()[:count]), media_type="text/event-stream"
        )

    async def _stream(self, words: list[str]) -> AsyncIterator[str]:
        await asyncio.sleep(FIRST_TOKEN_S)
        for index, word in enumerate(words):
            if index:
                await asyncio.sleep(TOKEN_INTERVAL_S)
            content = word if index == 0 else f" {word}"
            chunk = {"choices": [{"index": 0, "delta": {"content": content}}]}
            yield f"data: {json.dumps(chunk)}\n\n"
        done = {"choices": [{"index": 0, "delta": {}, "finish_reason": "stop"}]}
        yield f"data: {json.dumps(done)}\n\n"
        yield "data: [DONE]\n\n"
