"""A speech server's WebSocket on picows: whole messages in, frames straight out.

A speech stream receives a message every 80 ms (each STT step, each TTS audio frame) and
sends one as often (the user's audio). picows parses and writes frames in compiled code
and hands each frame to `on_ws_frame` in the loop turn that read it; this module only
joins fragments into messages, queues them for the one reader, and says how the
connection ended:

- messages come out of `next_message` whole and in order; reading from the server
  pauses while `MAX_QUEUED` wait, and resumes once the reader has caught up;
- or `deliver` hands each one to a callback in the loop turn that read it: a message
  every 80 ms then costs no future, task wake-up or coroutine resumption;
- a message over `MAX_MESSAGE_BYTES` (in one frame or many), or a text message that is
  not UTF-8, closes the connection (1009, 1007) and nothing after it is read;
- the server's close frame is answered with the same code; once every message before it
  was read, `next_message` raises `SpeechConnectionClosed`, `normal` when the server
  closed with 1000 or 1001 (RFC 6455's normal and going-away), not for a dropped socket;
- as RFC 6455 asks of a client, the server closes the TCP connection first: `close`
  returns once it has (so the server has let the stream go), or drops it after
  `CLOSE_TIMEOUT_S`;
- sends write at once, with no task or queue between: `unsent_bytes` says how much the
  server has left unread, so a caller can tell a stalled server from a busy one.
"""

from __future__ import annotations

import asyncio
import contextlib
import socket
from collections import deque
from collections.abc import Callable

from picows import (
    WSCloseCode,
    WSFrame,
    WSHandshakeError,
    WSListener,
    WSMsgType,
    WSParsedURL,
    WSTransport,
    ws_connect,
)

from backend.log_context import conversation_logger
from backend.wakeup import Wakeup

__all__ = [
    "CLOSE_TIMEOUT_S",
    "MAX_MESSAGE_BYTES",
    "MAX_QUEUED",
    "SpeechConnection",
    "SpeechConnectionClosed",
    "SpeechUpgradeRefused",
    "connect_speech",
]

# A server this far ahead of its reader stops being read until the reader catches up.
MAX_QUEUED = 16
RESUME_AT = MAX_QUEUED // 4
# Bigger than any message these servers send (a TTS audio frame is ~10 kB).
MAX_MESSAGE_BYTES = 1 << 22
# Closing must not hold up a conversation that has already moved on.
CLOSE_TIMEOUT_S = 1.0
# A quiet connection is pinged after this long, and dropped if no pong comes as long
# after (what websockets' client does by default).
KEEPALIVE_S = 20.0
_NORMAL_CLOSE_CODES = (WSCloseCode.OK, WSCloseCode.GOING_AWAY)

logger = conversation_logger(__name__)

Message = bytes | str


class SpeechConnectionClosed(Exception):
    """The connection is over and every message received before that was read."""

    def __init__(self, reason: str, *, normal: bool) -> None:
        super().__init__(reason)
        self.normal = normal

    def anew(self) -> SpeechConnectionClosed:
        """The same end as a new exception, to raise. Raising a kept one would hang the
        raiser's frame on it, and through that frame its connection: a cycle per stream
        that only the collector's rare full pass frees."""
        return SpeechConnectionClosed(str(self), normal=self.normal)


class SpeechUpgradeRefused(Exception):
    """The server answered the WebSocket upgrade with an HTTP error status."""

    def __init__(self, status: int) -> None:
        super().__init__(f"HTTP {status} at the upgrade")
        self.status = status


class SpeechConnection(WSListener):
    """One open connection; made by `connect_speech`, read by a single reader."""

    def __init__(self) -> None:
        self._transport: WSTransport | None = None
        self._messages: deque[Message] = deque()
        self._fragments: list[bytes] = []
        self._fragments_text = False
        self._fragment_bytes = 0
        self._reader = Wakeup("a SpeechConnection")  # the one reader, or `deliver`
        self._handler: Callable[[Message], None] | None = None  # set by `deliver`
        self._handler_failure: Exception | None = None
        self._reading_paused = False
        self._refused = False  # a message was refused: nothing after it is read
        self._ended: SpeechConnectionClosed | None = None  # a close frame came, or the socket went
        self._disconnected = False

    # --- picows' callbacks ----------------------------------------------------------------

    def on_ws_connected(self, transport: WSTransport) -> None:
        self._transport = transport

    def on_ws_frame(self, transport: WSTransport, frame: WSFrame) -> None:
        msg_type = frame.msg_type
        if msg_type is WSMsgType.CLOSE:
            self._on_close_frame(transport, frame)
            return
        if self._refused or msg_type is WSMsgType.PONG:
            return
        if msg_type is WSMsgType.CONTINUATION:
            if not self._fragments:
                self._refuse(WSCloseCode.PROTOCOL_ERROR, "a continuation with no message open")
                return
        elif self._fragments:
            self._refuse(WSCloseCode.PROTOCOL_ERROR, "a new message before the last one ended")
            return
        else:
            self._fragments_text = msg_type is WSMsgType.TEXT
        self._fragment_bytes += frame.payload_size
        if self._fragment_bytes > MAX_MESSAGE_BYTES:
            self._refuse(WSCloseCode.MESSAGE_TOO_BIG, "message too big")
            return
        payload = frame.get_payload_as_bytes()
        if frame.fin:
            parts, self._fragments, self._fragment_bytes = self._fragments, [], 0
            self._take(b"".join((*parts, payload)) if parts else payload)
        else:
            self._fragments.append(payload)

    def on_ws_disconnected(self, transport: WSTransport) -> None:
        self._disconnected = True
        if self._ended is None:
            self._ended = SpeechConnectionClosed("connection lost", normal=False)
        self._reader.wake()

    # --- what the speech socket uses --------------------------------------------------------

    @property
    def is_open(self) -> bool:
        return self._ended is None and not self._refused

    @property
    def is_reading(self) -> bool:
        """False while reading from the server is paused for a reader far behind."""
        return self._transport is not None and bool(
            self._transport.underlying_transport.is_reading()
        )

    @property
    def unsent_bytes(self) -> int:
        """Bytes written that the socket has not sent yet: what the server left unread."""
        if self._transport is None:
            return 0
        return int(self._transport.underlying_transport.get_write_buffer_size())

    def send(self, data: bytes) -> None:
        """Write one binary message now; raises `SpeechConnectionClosed` once closed."""
        if not self.is_open or self._transport is None:
            if self._ended is not None:
                raise self._ended.anew()
            raise SpeechConnectionClosed("closing", normal=False)
        self._transport.send(WSMsgType.BINARY, data)

    async def next_message(self) -> Message:
        """The next whole message; raises `SpeechConnectionClosed` once none are left."""
        while not self._messages:
            if self._ended is not None:
                raise self._ended.anew()
            await self._reader.wait()
        if self._reading_paused and len(self._messages) <= RESUME_AT:
            self._reading_paused = False
            self._underlying_resume_reading()
        return self._messages.popleft()

    async def deliver(self, handler: Callable[[Message], None]) -> None:
        """Hand every message to `handler`, whole and in order, until the connection ends;
        then raise `SpeechConnectionClosed`, as `next_message` would.

        While this waits, `handler` runs inside picows' callback, in the loop turn that
        read the message. What it raises ends the delivery: `deliver` raises it, and the
        messages after it stay unread. Once the waiting task is cancelled, nothing more is
        handed over. Takes the place of the one reader.
        """
        if self._reader.has_waiter or self._handler is not None:
            raise RuntimeError("a SpeechConnection has one reader, already waiting")
        self._handler = handler
        try:
            while True:
                while self._messages:  # those that came while the task was not waiting
                    handler(self._messages.popleft())
                if self._reading_paused:
                    self._reading_paused = False
                    self._underlying_resume_reading()
                if self._ended is not None:
                    raise self._ended.anew()
                await self._reader.wait()
                failure, self._handler_failure = self._handler_failure, None
                if failure is not None:
                    try:
                        raise failure
                    finally:
                        failure = None  # the raised error's frame would hold it: a cycle
        finally:
            self._handler = None

    async def close(self, timeout_s: float = CLOSE_TIMEOUT_S) -> None:
        """Close politely: returns once the server has closed the TCP connection, or
        drops it after `timeout_s` (a hung server that stopped reading)."""
        transport = self._transport
        if transport is None or self._disconnected:
            return
        if not transport.is_close_frame_sent:
            transport.send_close(WSCloseCode.OK)
        try:
            async with asyncio.timeout(timeout_s):
                await transport.wait_disconnected()
        except TimeoutError:
            self.abort()
        except Exception as error:  # picows re-raises a callback's error; the end is the same
            logger.debug("closing a speech connection: %s", error)
            self.abort()

    def abort(self) -> None:
        """Drop the TCP connection at once."""
        if self._transport is not None:
            self._transport.disconnect(graceful=False)

    # --- inside -------------------------------------------------------------------------------

    def _on_close_frame(self, transport: WSTransport, frame: WSFrame) -> None:
        code = frame.get_close_code()
        if self._ended is None:
            normal = code in _NORMAL_CLOSE_CODES and not self._refused
            self._ended = SpeechConnectionClosed(
                f"closed by the server ({code.value})", normal=normal
            )
        if not transport.is_close_frame_sent:
            # RFC 6455: answer with the code received (none for a close without one).
            transport.send_close(code if code is not WSCloseCode.NO_INFO else WSCloseCode.OK)
        # The server closes the TCP connection next; one that does not is dropped.
        asyncio.get_running_loop().call_later(CLOSE_TIMEOUT_S, transport.disconnect)
        self._reader.wake()

    def _take(self, payload: bytes) -> None:
        message: Message = payload
        if self._fragments_text:
            try:
                message = payload.decode()
            except UnicodeDecodeError:
                self._refuse(WSCloseCode.INVALID_TEXT, "text that is not UTF-8")
                return
        if self._handler is not None and self._reader.waiting:
            self._hand_over(self._handler, message)
            return
        self._messages.append(message)
        if len(self._messages) >= MAX_QUEUED and not self._reading_paused:
            self._reading_paused = True
            if self._transport is not None:
                self._transport.underlying_transport.pause_reading()
        self._reader.wake()

    def _hand_over(self, handler: Callable[[Message], None], message: Message) -> None:
        try:
            handler(message)
        except Exception as failure:  # ends the delivery; `deliver` raises it
            self._handler_failure = failure
            self._reader.wake()

    def _refuse(self, code: WSCloseCode, reason: str) -> None:
        """Close with `code`; what the connection held before stays readable."""
        self._refused = True
        self._fragments, self._fragment_bytes = [], 0
        if self._transport is not None:
            if not self._transport.is_close_frame_sent:
                self._transport.send_close(code, reason.encode())
            asyncio.get_running_loop().call_later(CLOSE_TIMEOUT_S, self._transport.disconnect)

    def _underlying_resume_reading(self) -> None:
        transport = self._transport
        if transport is not None and not self._disconnected:
            transport.underlying_transport.resume_reading()


class _OwnSocket:
    """The TCP connection under an upgrade in progress, made here rather than by picows:
    picows leaves its transport open when the wait for the upgrade is cancelled, and the
    server would hold a stream (a GPU slot) for a client that has gone."""

    def __init__(self) -> None:
        self._socket: socket.socket | None = None
        self._handed_over = False

    async def connect(self, url: WSParsedURL) -> socket.socket:
        loop = asyncio.get_running_loop()
        addresses = await loop.getaddrinfo(url.host, url.port, type=socket.SOCK_STREAM)
        failure: OSError = OSError(f"no address for {url.host}")
        for family, kind, protocol, _, address in addresses:
            self._socket = candidate = socket.socket(family, kind, protocol)
            candidate.setblocking(False)
            try:
                await loop.sock_connect(candidate, address)
            except OSError as error:
                candidate.close()
                failure = error
                continue
            self._handed_over = True
            return candidate
        raise failure

    def end(self) -> None:
        """The upgrade did not complete: end the connection, wherever it got to."""
        if self._socket is None:
            return
        with contextlib.suppress(OSError):  # the transport's reader sees the end and closes
            self._socket.shutdown(socket.SHUT_RDWR)
        if not self._handed_over:
            self._socket.close()


async def connect_speech(
    url: str, *, headers: dict[str, str], timeout_s: float
) -> SpeechConnection:
    """An open connection to `url`, its upgrade sent with `headers`.

    Raises `SpeechUpgradeRefused` for an HTTP error status, `TimeoutError` when the
    connection and upgrade take over `timeout_s`, `OSError` when the server cannot be
    reached, `ConnectionError` for an answer that is not a WebSocket upgrade. Whatever
    stops it (those, or a cancellation) ends the TCP connection it opened.
    """
    tcp = _OwnSocket()
    try:
        async with asyncio.timeout(timeout_s):
            _, listener = await ws_connect(
                SpeechConnection,
                url,
                socket_factory=tcp.connect,
                extra_headers=headers,
                websocket_handshake_timeout=None,  # the whole wait is bounded above
                max_frame_size=MAX_MESSAGE_BYTES,
                max_redirects=0,  # a speech server never redirects; a proxy that does is wrong
                enable_auto_ping=True,
                auto_ping_idle_timeout=KEEPALIVE_S,
                auto_ping_reply_timeout=KEEPALIVE_S,
                use_aiofastnet=False,  # the event loop's own transport (uvloop's)
                logger_name="speech",
            )
    except WSHandshakeError as error:
        tcp.end()
        response = error.response
        if response is not None and int(response.status) >= 300:
            raise SpeechUpgradeRefused(int(response.status)) from None
        raise ConnectionError(f"not a WebSocket upgrade: {error}") from None
    except BaseException:
        tcp.end()
        raise
    assert isinstance(listener, SpeechConnection)
    return listener
