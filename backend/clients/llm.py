"""Streaming client for any OpenAI-compatible chat server (vLLM, Ollama, llama.cpp, OpenAI…).

`stream_reply` yields only text meant to be spoken: reasoning (`reasoning_content`,
`reasoning`, inline `<think>…</think>`) is held back, and when a reasoning model ends
its stream without any answer, the end of its reasoning is spoken instead of silence.
`stream_turn` also takes tools (OpenAI's `tools` / `tool_choice`) and yields the tool
calls the model makes: their pieces as they stream, then each whole call at the end.
`StreamedTurn` (llm_turn.py) puts those together from the chunks this module reads.
Every network wait is bounded; failures surface as `LlmError` (llm_errors.py) with a
log-ready message.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncGenerator, Callable, Coroutine
from dataclasses import dataclass
from types import TracebackType
from typing import Any, cast

import httpx
from pydantic import ValidationError

from backend.clients.llm_errors import (
    LlmConnectionError,
    LlmError,
    LlmHttpError,
    LlmTimeoutError,
    excerpt,
    http_error,
    read_excerpt,
    translate_errors,
)
from backend.clients.llm_sse import SseDataReader, SseTooLongError
from backend.clients.llm_turn import LlmUsage, StreamedTurn, ToolCall, ToolCallDelta, TurnPiece
from backend.clients.llm_wire import Chunk, ModelList
from backend.log_context import conversation_logger

__all__ = [
    "LlmClient",
    "LlmConnectionError",
    "LlmError",
    "LlmHttpError",
    "LlmTimeoutError",
    "LlmTimeouts",
    "LlmUsage",
    "ToolCall",
    "ToolCallDelta",
    "api_root",
]

logger = conversation_logger(__name__)

# After `[DONE]` the body ends at once; a server that keeps it open loses the connection.
DRAIN_AFTER_DONE_S = 0.5

EVENT_STREAM_HEADERS = {"Accept": "text/event-stream", "Cache-Control": "no-store"}
# How a pooled keep-alive connection that the server closed while idle fails when reused.
_CLOSED_AS_REUSED = (httpx.RemoteProtocolError, httpx.ReadError, httpx.WriteError)


@dataclass(frozen=True)
class LlmTimeouts:
    """Seconds; each bounds one kind of wait on the server."""

    # A local or LAN server accepts a connection in well under this.
    connect: float = 5.0
    # Prompt processing of a long history on a busy GPU can take several seconds.
    first_chunk: float = 20.0
    # Once tokens flow, a long silence means the server is stuck.
    between_chunks: float = 10.0
    # Total time spent waiting on the server for one reply: a runaway generation ends.
    reply: float = 120.0
    # `/v1/models` (health probe, model selection) answers instantly when the server is up.
    probe: float = 5.0


# --- The client --------------------------------------------------------------------------


def api_root(base_url: str) -> str:
    """`http://h:1/v1/` and `http://h:1` both become `http://h:1`; paths add `/v1/…`."""
    root = base_url.strip().rstrip("/")
    return root.removesuffix("/v1")


class LlmClient:
    """One OpenAI-compatible server; holds one connection pool until `aclose()`."""

    def __init__(
        self,
        base_url: str,
        api_key: str | None = None,
        model: str | None = None,
        *,
        timeouts: LlmTimeouts | None = None,
    ) -> None:
        self.base_url = api_root(base_url)
        self._api_key = api_key or None
        self._model = model or None
        self._timeouts = timeouts or LlmTimeouts()
        t = self._timeouts
        self._http = httpx.AsyncClient(
            # The streaming loop enforces tighter per-chunk deadlines on top of these.
            timeout=httpx.Timeout(
                connect=t.connect,
                read=max(t.first_chunk, t.between_chunks, t.probe),
                write=t.connect,
                pool=t.connect,
            ),
            headers=self._auth_headers(),
        )

    async def __aenter__(self) -> LlmClient:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        await self._http.aclose()

    def _auth_headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self._api_key}"} if self._api_key else {}

    def _url(self, path: str) -> str:
        return f"{self.base_url}/v1/{path}"

    async def is_up(self) -> bool:
        """True when `GET /v1/models` answers 200 within the probe timeout."""
        try:
            response = await self._get_models()
        except httpx.HTTPError:
            return False
        return response.status_code == 200

    async def _get_models(self) -> httpx.Response:
        """`GET /v1/models`, once more on a fresh connection when a pooled one was closed
        by the server as it was reused (see `_open_stream`): a health probe must not say
        the LLM is down because an idle connection timed out."""
        url = self._url("models")
        try:
            return await self._http.get(url, timeout=self._timeouts.probe)
        except _CLOSED_AS_REUSED as error:
            logger.info("LLM connection closed as it was reused (%s); asking again", error)
        return await self._http.get(url, timeout=self._timeouts.probe)

    async def list_models(self) -> list[str]:
        """Ids of the models the server serves, in its order."""
        url = self._url("models")
        with translate_errors(url, "GET", self._timeouts.connect):
            response = await self._get_models()
        if response.status_code != 200:
            raise http_error("GET", url, response.status_code, response.text)
        try:
            return [entry.id for entry in ModelList.model_validate_json(response.content).data]
        except ValidationError as error:
            raise LlmError(
                f"GET {url}: not an OpenAI model list: {excerpt(response.text)}"
            ) from error

    async def resolve_model(self) -> str:
        """The configured model, else the only one served (remembered once found)."""
        if self._model:
            return self._model
        models = await self.list_models()
        if len(models) == 1:
            self._model = models[0]
            return self._model
        if not models:
            raise LlmError(f"the LLM server at {self.base_url} serves no models")
        shown = ", ".join(models[:20]) + (", …" if len(models) > 20 else "")
        raise LlmError(
            f"the LLM server at {self.base_url} serves {len(models)} models ({shown}); "
            "choose one with UNMUTE_LLM_MODEL"
        )

    async def stream_reply(
        self, messages: list[dict[str, str]], *, temperature: float
    ) -> AsyncGenerator[str, None]:
        """Yields the spoken text of one reply, delta by delta, as it arrives."""
        turn = self.stream_turn(list(messages), temperature=temperature)
        async with contextlib.aclosing(turn) as pieces:
            async for piece in pieces:
                if isinstance(piece, str):
                    yield piece

    async def stream_turn(
        self,
        messages: list[dict[str, Any]],
        *,
        temperature: float,
        tools: list[dict[str, Any]] | None = None,
        tool_choice: str | dict[str, Any] | None = None,
        include_usage: bool = False,
        on_request_sent: Callable[[], None] | None = None,
    ) -> AsyncGenerator[TurnPiece, None]:
        """Like `stream_reply`, offering `tools` (Chat Completions shape) to the model: the
        calls it makes stream as `ToolCallDelta`s, and come whole at the end. With
        `include_usage`, the server is asked for its token counts, yielded last when it
        gives them (`stream_options` is part of OpenAI's API, and of the servers that
        follow it; it is only sent when asked, so older servers see the request they know).
        `on_request_sent` is called once the request's last byte is written, before the
        server answers (again if the request must be sent again)."""
        body: dict[str, Any] = {
            "model": await self.resolve_model(),
            "messages": messages,
            "temperature": temperature,
            "stream": True,
        }
        if tools:
            body["tools"] = tools
            if tool_choice is not None:
                body["tool_choice"] = tool_choice
        if include_usage:
            body["stream_options"] = {"include_usage": True}
        turn = StreamedTurn()
        async with contextlib.aclosing(self._chunks(body, on_request_sent)) as chunks:
            async for chunk in chunks:
                for piece in turn.feed(chunk):
                    yield piece
        for piece in turn.finish():
            yield piece

    async def _open_stream(
        self,
        stack: contextlib.AsyncExitStack,
        url: str,
        body: dict[str, Any],
        on_request_sent: Callable[[], None] | None,
    ) -> httpx.Response:
        """Send the request; once more on a fresh connection when a pooled one was closed
        by the server as it was reused (both sides' keep-alive timers are often 5 s, so a
        turn that starts 5 s after the last one can race the server's close). Nothing was
        answered, and a chat completion has no side effect: repeating it is safe."""
        extensions = (
            {} if on_request_sent is None else {"trace": _request_sent_trace(on_request_sent)}
        )
        try:
            return await _open_stream_once(self._http, stack, url, body, extensions)
        except _CLOSED_AS_REUSED as error:
            logger.info("LLM connection closed as it was reused (%s); sending again", error)
        return await _open_stream_once(self._http, stack, url, body, extensions)

    async def _chunks(
        self, body: dict[str, Any], on_request_sent: Callable[[], None] | None = None
    ) -> AsyncGenerator[Chunk, None]:
        """The parsed SSE chunks of one completion, each wait on the server bounded."""
        url = self._url("chat/completions")
        t = self._timeouts
        loop = asyncio.get_running_loop()
        budget = t.reply  # time left waiting on the server, consumer time excluded
        started = loop.time()
        with translate_errors(url, "POST", t.connect):
            async with contextlib.AsyncExitStack() as stack:
                try:
                    async with asyncio.timeout(min(t.first_chunk, budget)):
                        response = await self._open_stream(stack, url, body, on_request_sent)
                        await _check_event_stream("POST", url, response)
                        events = _event_data(url, response)
                        stack.push_async_callback(events.aclose)
                        data: str | None = await anext(events, None)
                except TimeoutError as error:
                    raise LlmTimeoutError(
                        f"POST {url}: no first chunk within {min(t.first_chunk, budget):g} s"
                    ) from error
                budget -= loop.time() - started
                while data is not None:
                    if data.strip() == "[DONE]":
                        await _read_to_end(events)
                        return
                    if data.strip():
                        yield _parse_chunk(url, data)
                    wait = min(t.between_chunks, budget)
                    waited_from = loop.time()
                    try:
                        async with asyncio.timeout(max(wait, 0.0)):
                            data = await anext(events, None)
                    except TimeoutError as error:
                        reason = (
                            f"no chunk for {t.between_chunks:g} s"
                            if wait == t.between_chunks
                            else f"reply took over {t.reply:g} s"
                        )
                        raise LlmTimeoutError(f"POST {url}: {reason}") from error
                    budget -= loop.time() - waited_from


async def _open_stream_once(
    http: httpx.AsyncClient,
    stack: contextlib.AsyncExitStack,
    url: str,
    body: dict[str, Any],
    extensions: dict[str, Any],
) -> httpx.Response:
    request = http.stream(
        "POST", url, json=body, headers=EVENT_STREAM_HEADERS, extensions=extensions
    )
    return await stack.enter_async_context(request)


def _request_sent_trace(
    on_request_sent: Callable[[], None],
) -> Callable[[str, dict[str, Any]], Coroutine[Any, Any, None]]:
    """httpcore's `trace` extension, reduced to the moment the request body is written
    (`http11.send_request_body.complete`, or `http2.` for HTTP/2)."""

    async def trace(event: str, info: dict[str, Any]) -> None:
        del info
        if event.endswith(".send_request_body.complete"):
            on_request_sent()

    return trace


async def _check_event_stream(method: str, url: str, response: httpx.Response) -> None:
    """A completion streams as `text/event-stream`; anything else is the server's reason."""
    if response.status_code != 200:
        raise http_error(method, url, response.status_code, await read_excerpt(response))
    content_type = response.headers.get("content-type", "").partition(";")[0].strip()
    if "text/event-stream" not in content_type.lower():
        raise LlmError(
            f"{method} {url}: expected an event stream (text/event-stream), got "
            f"{content_type or 'no content type'}: {excerpt(await read_excerpt(response))}"
        )


async def _event_data(url: str, response: httpx.Response) -> AsyncGenerator[str, None]:
    """The `data` of each event in the body, read straight from its bytes (see llm_sse)."""
    reader = SseDataReader()
    try:
        # Closed with this generator (a barge-in), not whenever it is collected; httpx
        # types it as an iterator, and writes it as a generator.
        body = cast(AsyncGenerator[bytes, None], response.aiter_bytes())
        async with contextlib.aclosing(body) as received_bytes:
            async for received in received_bytes:
                for data in reader.feed(received):
                    yield data
    except SseTooLongError as error:
        raise LlmError(f"POST {url}: {error}") from error
    for data in reader.finish():
        yield data


async def _read_to_end(events: AsyncGenerator[str, None]) -> None:
    """Read what follows `[DONE]` (only the end of the body, normally), so the connection
    goes back to the pool: otherwise every reply pays a new TCP (or TLS) handshake."""
    with contextlib.suppress(TimeoutError, httpx.HTTPError):
        async with asyncio.timeout(DRAIN_AFTER_DONE_S):
            async for _ in events:
                pass


def _parse_chunk(url: str, data: str) -> Chunk:
    try:
        return Chunk.model_validate_json(data)
    except ValidationError as error:
        raise LlmError(f"POST {url}: unreadable stream chunk: {excerpt(data)}") from error
