"""One keep-alive connection serves reply after reply: no handshake per turn."""

from __future__ import annotations

import asyncio
import socket
from collections.abc import AsyncIterator

import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response, StreamingResponse
from starlette.routing import Route

from backend.clients.llm import LlmClient
from tests.integration.raw_http import read_http_request

WORDS = ["Hello", " there", " friend."]


async def test_consecutive_replies_share_one_connection() -> None:
    client_ports: list[int] = []

    async def complete(request: Request) -> Response:
        assert request.client is not None
        client_ports.append(request.client.port)

        async def events() -> AsyncIterator[str]:
            for word in WORDS:
                yield f'data: {{"choices": [{{"index": 0, "delta": {{"content": "{word}"}}}}]}}\n\n'
            yield "data: [DONE]\n\n"

        return StreamingResponse(events(), media_type="text/event-stream")

    async def models(request: Request) -> Response:
        return JSONResponse({"data": [{"id": "only-model"}]})

    app = Starlette(
        routes=[
            Route("/v1/chat/completions", complete, methods=["POST"]),
            Route("/v1/models", models),
        ]
    )
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning", lifespan="off"))
    task = asyncio.create_task(server.serve(sockets=[sock]))
    try:
        async with LlmClient(f"http://127.0.0.1:{port}") as llm:
            for _ in range(3):
                reply = [
                    delta
                    async for delta in llm.stream_reply(
                        [{"role": "user", "content": "hi"}], temperature=0.3
                    )
                ]
                assert "".join(reply) == "".join(WORDS)
    finally:
        server.should_exit = True
        await task
    assert len(client_ports) == 3
    assert len(set(client_ports)) == 1, "each reply opened a new connection"


async def test_a_reused_connection_the_server_closed_unanswered_is_retried_once() -> None:
    """The keep-alive race: the server closes an idle connection just as the client sends
    its next request on it. This server answers the first request of each connection and
    drops the second unanswered; the client sends it again on a new connection."""
    connections = 0

    async def serve(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        nonlocal connections
        connections += 1
        await read_http_request(reader)
        body = (
            "".join(
                f'data: {{"choices": [{{"index": 0, "delta": {{"content": "{word}"}}}}]}}\n\n'
                for word in WORDS
            )
            + "data: [DONE]\n\n"
        )
        writer.write(
            b"HTTP/1.1 200 OK\r\ncontent-type: text/event-stream\r\n"
            + f"content-length: {len(body)}\r\n\r\n{body}".encode()
        )
        await writer.drain()
        await read_http_request(reader)  # the reuse: closed without an answer
        writer.close()

    server = await asyncio.start_server(serve, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    async with server, LlmClient(f"http://127.0.0.1:{port}", model="m") as llm:
        for _ in range(2):
            reply = [
                delta
                async for delta in llm.stream_reply(
                    [{"role": "user", "content": "hi"}], temperature=0.3
                )
            ]
            assert "".join(reply) == "".join(WORDS)
    assert connections == 2


async def test_a_health_probe_on_a_connection_the_server_closed_asks_again() -> None:
    """The same race on `GET /v1/models`: a probe must not call the LLM down because the
    idle connection it reused had just been closed by the server."""
    connections = 0

    async def serve(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        nonlocal connections
        connections += 1
        await reader.readuntil(b"\r\n\r\n")  # a GET: no body
        body = '{"data": [{"id": "m"}]}'
        writer.write(
            b"HTTP/1.1 200 OK\r\ncontent-type: application/json\r\n"
            + f"content-length: {len(body)}\r\n\r\n{body}".encode()
        )
        await writer.drain()
        await reader.readuntil(b"\r\n\r\n")  # the reuse: closed without an answer
        writer.close()

    server = await asyncio.start_server(serve, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    async with server, LlmClient(f"http://127.0.0.1:{port}") as llm:
        assert await llm.is_up()
        assert await llm.is_up()
        assert await llm.list_models() == ["m"]
    assert connections == 3
