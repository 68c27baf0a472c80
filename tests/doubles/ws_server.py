"""What the scripted STT and TTS doubles share: a real WebSocket server on 127.0.0.1
that behaves like moshi-server at its edges (protocols.md §2-3).

- `GET /api/build_info` answers 200 (the up-check);
- a wrong `kyutai-api-key` header (or `auth_id` query) is refused with HTTP 401 at the
  upgrade;
- a stream beyond `slots` gets `Error "no free channels"`, then a close;
- otherwise `Ready` first, then the subclass's `serve_stream`.

The protocol strings are written out here rather than imported from the client, so a
typo on either side makes the tests fail.
"""

from __future__ import annotations

import contextlib
import json
from collections.abc import Mapping, Sequence
from http import HTTPStatus
from types import TracebackType
from typing import Any, ClassVar, Self
from urllib.parse import parse_qs, urlsplit

import msgpack
from websockets.asyncio.server import Server, ServerConnection, serve
from websockets.exceptions import ConnectionClosed
from websockets.http11 import Request, Response


def pack(message: Mapping[str, Any]) -> bytes:
    packed: bytes = msgpack.packb(message, use_bin_type=True, use_single_float=True)
    return packed


def unpack(frame: bytes | str) -> dict[str, Any]:
    """The msgpack map in a binary frame; anything else breaks the protocol."""
    if isinstance(frame, str):
        raise AssertionError("speech protocols use binary frames only")
    message = msgpack.unpackb(frame, raw=False)
    if not isinstance(message, dict) or not isinstance(message.get("type"), str):
        raise AssertionError(f"not a typed msgpack map: {message!r}")
    return message


def query_of(connection: ServerConnection) -> dict[str, str]:
    """The first value of each query parameter of the upgrade request."""
    assert connection.request is not None
    query = parse_qs(urlsplit(connection.request.path).query)
    return {key: values[0] for key, values in query.items()}


class ScriptedSpeechServer:
    """Base of the doubles; subclasses set `path` and implement `serve_stream`.

    `after_ready`: messages sent right after `Ready` (an unknown type, an `Error`…).
    """

    path: ClassVar[str]

    def __init__(
        self,
        *,
        slots: int = 4,
        api_key: str | None = "public_token",
        after_ready: Sequence[Mapping[str, Any]] = (),
    ) -> None:
        self.slots = slots
        self.api_key = api_key
        self.after_ready = list(after_ready)
        # Counters the tests assert on.
        self.streams_opened = 0
        self.streams_refused_busy = 0
        self.auth_refusals = 0
        self.build_info_requests = 0
        self.active_streams = 0
        self.peak_active_streams = 0  # the most streams ever open at once
        self.protocol_violations: list[str] = []
        self._connections: set[ServerConnection] = set()
        self._hung: set[ServerConnection] = set()
        self._server: Server | None = None

    # --- lifecycle ---------------------------------------------------------------------

    async def __aenter__(self) -> Self:
        self._server = await serve(
            self._handle,
            "127.0.0.1",
            0,
            process_request=self._process_request,
            compression=None,  # moshi-server does not negotiate permessage-deflate
        )
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        if self._server is not None:
            # A hung stream reads nothing, so it would never see a close handshake.
            for connection in self._hung:
                connection.transport.abort()
            self._server.close()
            await self._server.wait_closed()

    @property
    def port(self) -> int:
        assert self._server is not None, "use the double as `async with`"
        port: int = self._server.sockets[0].getsockname()[1]
        return port

    @property
    def url(self) -> str:
        return f"ws://127.0.0.1:{self.port}"

    def abort_all(self) -> None:
        """Drop every open stream without a close frame, like a crashed node."""
        for connection in list(self._connections):
            connection.transport.abort()

    # --- handshake ---------------------------------------------------------------------

    def _process_request(self, connection: ServerConnection, request: Request) -> Response | None:
        parts = urlsplit(request.path)
        if parts.path == "/api/build_info":
            self.build_info_requests += 1
            response = connection.respond(HTTPStatus.OK, json.dumps({"service": "double"}))
            del response.headers["Content-Type"]
            response.headers["Content-Type"] = "application/json"
            return response
        if parts.path != self.path:
            return connection.respond(HTTPStatus.NOT_FOUND, "Not Found\n")
        if self.api_key is not None:
            query = {key: values[0] for key, values in parse_qs(parts.query).items()}
            given = request.headers.get("kyutai-api-key") or query.get("auth_id")
            if given != self.api_key:
                self.auth_refusals += 1
                return connection.respond(HTTPStatus.UNAUTHORIZED, "Unauthorized\n")
        return None

    async def _handle(self, connection: ServerConnection) -> None:
        if self.active_streams >= self.slots:
            self.streams_refused_busy += 1
            with contextlib.suppress(ConnectionClosed):
                await connection.send(pack({"type": "Error", "message": "no free channels"}))
                await connection.close()
            return
        self.active_streams += 1
        self.peak_active_streams = max(self.peak_active_streams, self.active_streams)
        self.streams_opened += 1
        self._connections.add(connection)
        try:
            await connection.send(pack({"type": "Ready"}))
            for message in self.after_ready:
                await connection.send(pack(message))
            await self.serve_stream(connection)
        except ConnectionClosed:
            pass
        finally:
            self._connections.discard(connection)
            self.active_streams -= 1

    async def serve_stream(self, connection: ServerConnection) -> None:
        raise NotImplementedError

    async def hang(self, connection: ServerConnection) -> None:
        """Stop reading and answering, like a hung node, until the client goes away."""
        self._hung.add(connection)
        await connection.wait_closed()

    def violation(self, what: str) -> None:
        """Note a message a real server would choke on; tests assert there are none."""
        self.protocol_violations.append(what)
