"""The LLM client reads any server's event stream, written in pieces cut anywhere, over a real
loopback socket: line ends, comments, fields it ignores, and what is not a stream at all."""

from __future__ import annotations

import asyncio
import contextlib
import itertools
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import pytest

from backend.clients.llm import LlmClient, LlmError
from tests.integration.raw_http import read_http_request

pytestmark = pytest.mark.integration

HELLO = [{"role": "user", "content": "Hello?"}]


@asynccontextmanager
async def raw_server(head: bytes, pieces: list[bytes]) -> AsyncIterator[str]:
    """Answers every request with `head`, then `pieces`, each in its own write and TCP
    segment (a pause between them), then closes the connection."""

    async def serve(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await read_http_request(reader)
        writer.write(head)
        for piece in pieces:
            writer.write(piece)
            await writer.drain()
            await asyncio.sleep(0.005)
        writer.close()

    server = await asyncio.start_server(serve, "127.0.0.1", 0)
    async with server:
        yield f"http://127.0.0.1:{server.sockets[0].getsockname()[1]}"


def chunk(content: str) -> bytes:
    return b'data: {"choices": [{"index": 0, "delta": {"content": "%s"}}]}' % content.encode()


async def test_a_stream_cut_anywhere_with_crlf_comments_and_other_fields_is_read() -> None:
    body = (
        b": connected\r\n\r\n"
        + b"event: message\r\nid: 1\r\n"
        + chunk("Hi")
        + b"\r\n\r\n"
        + b"retry: 1000\r\n\r\n"  # no data: no event
        + chunk(" thére")  # a two-byte character, cut in half below
        + b"\r\n\r\n: keep-alive\r\n\r\n"
        + chunk(" friend.")
        + b"\r\n\r\ndata: [DONE]\r\n\r\n"
    )
    cuts = [3, 30, 31, 60, 61, 62, body.index(b"\xa9"), len(body) - 4]
    pieces = [body[start:end] for start, end in zip([0, *cuts], [*cuts, len(body)], strict=True)]
    head = b"HTTP/1.1 200 OK\r\ncontent-type: text/event-stream; charset=utf-8\r\n\r\n"
    async with raw_server(head, pieces) as url, LlmClient(url, model="m") as client:
        deltas = [delta async for delta in client.stream_reply(HELLO, temperature=0.5)]
    assert deltas == ["Hi", " thére", " friend."]


async def test_an_answer_that_is_not_an_event_stream_is_a_clear_error() -> None:
    body = b'{"error": "streaming is disabled on this server"}'
    head = b"HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: %d\r\n\r\n" % (
        len(body)
    )
    async with raw_server(head, [body]) as url, LlmClient(url, model="m") as client:
        with pytest.raises(LlmError) as caught:
            [delta async for delta in client.stream_reply(HELLO, temperature=0.5)]
    message = str(caught.value)
    assert "text/event-stream" in message and "application/json" in message
    assert "streaming is disabled on this server" in message


async def test_closing_a_reply_midway_closes_its_connection() -> None:
    """A barge-in closes the reply's stream: the server sees its connection go, and can
    stop generating, instead of streaming the rest of the reply to nobody."""
    closed = asyncio.Event()

    async def serve(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await reader.readuntil(b"\r\n\r\n")
        writer.write(
            b"HTTP/1.1 200 OK\r\ncontent-type: text/event-stream\r\n"
            b"transfer-encoding: chunked\r\n\r\n"
        )
        endless = asyncio.create_task(_stream_forever(writer))
        while await reader.read(4096):  # the request's body, then the client's close
            pass
        endless.cancel()
        closed.set()

    server = await asyncio.start_server(serve, "127.0.0.1", 0)
    url = f"http://127.0.0.1:{server.sockets[0].getsockname()[1]}"
    async with server, LlmClient(url, model="m") as client:
        deltas = client.stream_reply(HELLO, temperature=0.5)
        assert [await anext(deltas), await anext(deltas)] == ["word", " word"]
        assert not closed.is_set()
        await deltas.aclose()
        await asyncio.wait_for(closed.wait(), timeout=10)


async def _stream_forever(writer: asyncio.StreamWriter) -> None:
    with contextlib.suppress(ConnectionError):
        for index in itertools.count():
            event = chunk(" word" if index else "word") + b"\n\n"
            writer.write(b"%x\r\n%s\r\n" % (len(event), event))
            await writer.drain()
            await asyncio.sleep(0.01)
