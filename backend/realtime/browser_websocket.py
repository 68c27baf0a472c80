"""The browser's WebSocket as `unmute-ops serve backend` gives it to uvicorn: coalesced
writes (`coalescing_websocket`), and the browser's ordinary messages read without
websockets' generator-based parser.

A browser sends a message every 20–80 ms, each one whole, masked, unfragmented frame.
websockets parses each through several Python generators (`read_exact`, `Frame.parse`,
`Protocol.parse`, `recv_frame`), and uvicorn pauses and resumes reading around every
message, which re-arms the socket in the event loop each time. Here such a frame is read
in a few `int` and slice operations and queued for the app directly; reading pauses only
once messages pile up. Every other frame goes through websockets unchanged, so pings,
closes, fragments and every protocol error are answered exactly as uvicorn answers them:

- a ping or pong, whole, is handed to websockets alone, and reading carries on here;
- anything else (a close, a fragment, a reserved bit, an unmasked or oversized frame, a
  text frame that is not UTF-8) is handed to websockets with all that follows it, and
  the connection stays with websockets to its end.

The app can take those messages without a task wake-up each: `receive_each` hands them
to a callback in the loop turn that read them (the `DELIVER` extension), where the ASGI
receive would queue each one and wake the app's task for it.

Sending works the same way: the app finds `send_text_now` in the ASGI scope's
extensions (`SEND_TEXT_NOW`), which writes a text message as one unfragmented frame at
once, with none of the ASGI send's awaits and dict, and says False whenever the ordinary
way must be used instead (the socket is not keeping up, or the connection is closing).
"""

from __future__ import annotations

import asyncio
import contextvars
from collections.abc import Callable, Coroutine
from enum import Enum
from typing import Any

from starlette.websockets import WebSocket, WebSocketDisconnect, WebSocketState
from websockets.protocol import State

from backend.realtime.coalescing_websocket import CoalescingWebSocketProtocol

try:  # websockets' C helper; its pure-Python twin where the extension is not built
    from websockets.speedups import apply_mask
except ImportError:  # pragma: no cover
    from websockets.utils import apply_mask

__all__ = [
    "CONNECTION_LOST",
    "DELIVER",
    "SEND_TEXT_NOW",
    "BrowserWebSocketProtocol",
    "ClientMessageHandler",
    "connection_lost_of",
    "receive_each",
    "send_text_now_of",
]

# The ASGI extensions (scope["extensions"]) holding `BrowserWebSocketProtocol.send_text_now`
# and `BrowserWebSocketProtocol.deliver`.
SEND_TEXT_NOW = "unmute.send_text_now"
DELIVER = "unmute.deliver"
# The extension holding `BrowserWebSocketProtocol.wait_connection_lost`.
CONNECTION_LOST = "unmute.connection_lost"

# A message's text, or its bytes for a binary frame.
ClientMessageHandler = Callable[[str | bytes], None]
# Queued to wake `deliver` when the handler failed inside the read callback.
_HANDLER_FAILED: dict[str, Any] = {"type": "unmute.handler_failed"}

_FIN = 0x80
_RESERVED_BITS = 0x70
_OPCODE = 0x0F
_MASKED = 0x80
_LENGTH = 0x7F
_TEXT, _BINARY, _PING, _PONG = 0x1, 0x2, 0x9, 0xA
_TEXT_FRAME = bytes([_FIN | _TEXT])
_MASK_BYTES = 4
_MAX_CONTROL_PAYLOAD = 125
# Reading pauses once this much waits for the app, and resumes when it has taken most.
PAUSE_AT_MESSAGES = 16
PAUSE_AT_BYTES = 1024 * 1024
RESUME_AT_MESSAGES = 4
RESUME_AT_BYTES = 256 * 1024


class _Kind(Enum):
    DATA = "a whole text or binary message, read here"
    CONTROL = "a ping or pong, handed to websockets alone"
    OTHER = "handed to websockets with all that follows"


class BrowserWebSocketProtocol(CoalescingWebSocketProtocol):
    """uvicorn's websockets (sans-I/O) protocol, with writes coalesced and the browser's
    whole data frames read directly. Pass it as uvicorn's `ws` setting."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._reads_frames = True
        """False once websockets parses this connection's frames, to its end."""
        self._chunks_before_open = 0
        self._partial = bytearray()
        """The start of a frame whose rest has not arrived yet."""
        self._partial_needed = 0
        """How long `_partial` must grow before it is worth parsing again."""
        self._queued_bytes = 0
        self._handler: ClientMessageHandler | None = None
        self._handler_task: asyncio.Task[Any] | None = None
        self._handler_context = contextvars.Context()
        self._handler_failure: Exception | None = None
        self._is_lost = False
        self._lost: asyncio.Future[None] | None = None  # made by the first wait for it

    def connection_lost(self, exc: Exception | None) -> None:
        super().connection_lost(exc)
        self._is_lost = True
        if self._lost is not None and not self._lost.done():
            self._lost.set_result(None)

    async def wait_connection_lost(self) -> None:
        """Until the TCP connection is gone (noticed while reading is not paused)."""
        if self._is_lost:
            return
        if self._lost is None:
            self._lost = asyncio.get_running_loop().create_future()
        await asyncio.shield(self._lost)

    def data_received(self, data: bytes) -> None:
        if self._reads_frames and self._open():
            if self._partial:
                self._partial += data
                if len(self._partial) < self._partial_needed:
                    return
                data, self._partial = bytes(self._partial), bytearray()
            self._read_frames(data)
            return
        if self._reads_frames and not self.handshake_complete:
            # uvicorn hands over the upgrade request as one chunk; more chunks before the
            # app accepts belong to a client that did not wait: websockets has those.
            self._chunks_before_open += 1
            self._reads_frames = self._chunks_before_open == 1
        elif self._reads_frames:
            # The app closed, or websockets is amid a message: it reads from here on,
            # starting with the frame begun here.
            self._reads_frames = False
            data, self._partial = bytes(self._partial) + data, bytearray()
        super().data_received(data)

    def handle_connect(self, event: Any) -> None:
        super().handle_connect(event)
        scope = getattr(self, "scope", None)  # none for an upgrade that was refused
        if scope is not None:
            scope["extensions"][SEND_TEXT_NOW] = self.send_text_now
            scope["extensions"][DELIVER] = self.deliver
            scope["extensions"][CONNECTION_LOST] = self.wait_connection_lost

    def send_text_now(self, text: str) -> bool:
        """Write `text` as one message now; False, having written nothing, when it must go
        the ordinary (ASGI) way: before the app accepted, once a close is under way, or
        while the socket is not keeping up (uvicorn's send waits for it to drain)."""
        if not (
            self.writable.is_set()
            and self.handshake_complete
            and self.initial_response is None
            and not self.close_sent
            and not self.disconnected
            and self.conn.state is State.OPEN
            and not self.conn.extensions
            and not self.transport.is_closing()
        ):
            return False
        payload = text.encode()
        self.transport.write(_TEXT_FRAME + _payload_length(len(payload)) + payload)
        return True

    async def deliver(self, handler: ClientMessageHandler) -> None:
        """Hand every message to `handler`, in order, until the client leaves; then return,
        the ASGI disconnect taken.

        While this waits, `handler` runs inside the read callback, in the loop turn that
        read the message, in this task's context. What it raises ends the delivery:
        `deliver` raises it, and the messages after it stay unread. Once this task is
        cancelled, nothing more is handed over. Takes the place of the ASGI receive.
        """
        if self._handler is not None:
            raise RuntimeError("a browser connection has one reader, already waiting")
        self._handler, self._handler_task = handler, asyncio.current_task()
        self._handler_context = contextvars.copy_context()
        try:
            while True:  # what websockets parsed, what came before, the end
                message = await self.receive()
                if message is _HANDLER_FAILED:
                    failure, self._handler_failure = self._handler_failure, None
                    assert failure is not None  # set with the marker
                    raise failure
                if message["type"] != "websocket.receive":
                    return
                handler(_data_of(message))
        finally:
            self._handler = self._handler_task = None

    async def receive(self) -> Any:
        message = await self.queue.get()
        # Clamped: messages websockets delivered were queued without being counted.
        self._queued_bytes = max(0, self._queued_bytes - _message_size(message))
        if (
            self.read_paused
            and self.queue.qsize() <= RESUME_AT_MESSAGES
            and self._queued_bytes <= RESUME_AT_BYTES
        ):
            self.read_paused = False
            self.transport.resume_reading()
        return message

    def _open(self) -> bool:
        return (
            self.handshake_complete
            and self.initial_response is None
            and not self.close_sent
            and self.conn.state is State.OPEN
            and self.conn.current_size is None
            and not self.conn.extensions
            and not self.conn.reader.buffer
        )

    def _read_frames(self, data: bytes) -> None:
        end, position = len(data), 0
        while position < end:
            header = _header_at(data, position)
            if header is None:  # cut short: its rest comes with the next chunk
                self._keep_partial(data, position, 0)
                return
            first, second, length, payload_start = header
            kind = self._kind(first, second, length)
            if kind is _Kind.OTHER:
                self._hand_over(data[position:])
                return
            frame_end = payload_start + length
            if frame_end > end:
                self._keep_partial(data, position, frame_end)
                return
            if kind is _Kind.DATA:
                mask = data[payload_start - _MASK_BYTES : payload_start]
                payload = apply_mask(data[payload_start:frame_end], mask)
                if not self._deliver(first & _OPCODE, payload):
                    self._hand_over(data[position:])
                    return
            else:
                super().data_received(data[position:frame_end])
                if not self._open():
                    self._reads_frames = False
                    if frame_end < end:
                        super().data_received(data[frame_end:])
                    return
            position = frame_end

    def _keep_partial(self, data: bytes, position: int, frame_end: int) -> None:
        self._partial = bytearray(memoryview(data)[position:])
        self._partial_needed = frame_end - position

    def _kind(self, first: int, second: int, length: int) -> _Kind:
        opcode = first & _OPCODE
        plain = first & _FIN and not first & _RESERVED_BITS and second & _MASKED
        if not plain:
            return _Kind.OTHER
        if opcode in (_TEXT, _BINARY):
            limit = self.conn.max_message_size
            return _Kind.DATA if limit is None or length <= limit else _Kind.OTHER
        if opcode in (_PING, _PONG) and length <= _MAX_CONTROL_PAYLOAD:
            return _Kind.CONTROL
        return _Kind.OTHER

    def _deliver(self, opcode: int, payload: bytes) -> bool:
        """Hand one message to the app; False for text that is not UTF-8."""
        data: str | bytes = payload
        if opcode == _TEXT:
            try:
                data = payload.decode()
            except UnicodeDecodeError:
                return False
        task = self._handler_task
        if task is not None and not self.queue.qsize() and not task.cancelling():
            self._call_handler(data)  # `deliver` waits, with nothing queued before this
            return True
        if isinstance(data, str):
            self.queue.put_nowait({"type": "websocket.receive", "text": data, "bytes": None})
        else:
            self.queue.put_nowait({"type": "websocket.receive", "bytes": data, "text": None})
        self._queued_bytes += len(payload)
        if not self.read_paused and (
            self.queue.qsize() >= PAUSE_AT_MESSAGES or self._queued_bytes >= PAUSE_AT_BYTES
        ):
            self.read_paused = True
            self.transport.pause_reading()
        return True

    def _call_handler(self, data: str | bytes) -> None:
        handler = self._handler
        assert handler is not None
        try:
            self._handler_context.run(handler, data)
        except Exception as failure:  # ends the delivery; `deliver` raises it
            self._handler_failure = failure
            # Queued, it wakes `deliver`; what is read after it queues behind it, unread.
            self.queue.put_nowait(_HANDLER_FAILED)  # type: ignore[arg-type]

    def _hand_over(self, rest: bytes) -> None:
        """websockets parses this connection from here on, starting at a frame's first byte."""
        self._reads_frames = False
        super().data_received(rest)


def _header_at(data: bytes, position: int) -> tuple[int, int, int, int] | None:
    """(first byte, second byte, payload length, payload start) of the frame at
    `position`, or None while its header (mask included) is incomplete."""
    available = len(data) - position
    if available < 2:
        return None
    first, second = data[position], data[position + 1]
    length, header = second & _LENGTH, 2
    if length == 126:
        header = 4
        length = int.from_bytes(data[position + 2 : position + 4])
    elif length == 127:
        header = 10
        length = int.from_bytes(data[position + 2 : position + 10])
    if second & _MASKED:
        header += _MASK_BYTES
    if available < header:
        return None
    return first, second, length, position + header


def _payload_length(length: int) -> bytes:
    """The second byte of an unmasked frame's header and the extended length, if any."""
    if length < 126:
        return bytes([length])
    if length < 1 << 16:
        return b"\x7e" + length.to_bytes(2)
    return b"\x7f" + length.to_bytes(8)


def connection_lost_of(websocket: WebSocket) -> Callable[[], Coroutine[Any, Any, None]] | None:
    """The connection's `wait_connection_lost`, when `BrowserWebSocketProtocol` serves it."""
    extension = websocket.scope.get("extensions", {}).get(CONNECTION_LOST)
    return extension if callable(extension) else None


def send_text_now_of(websocket: WebSocket) -> Callable[[str], bool] | None:
    """The connection's `send_text_now`, when `BrowserWebSocketProtocol` serves it."""
    extension = websocket.scope.get("extensions", {}).get(SEND_TEXT_NOW)
    return extension if callable(extension) else None


async def receive_each(websocket: WebSocket, handler: ClientMessageHandler) -> None:
    """Give `handler` each of the client's messages (text, or bytes for a binary frame),
    in order, until the client leaves. Served by `BrowserWebSocketProtocol`, the handler
    runs in the loop turn that read each one (see `deliver`)."""
    deliver = websocket.scope.get("extensions", {}).get(DELIVER)
    if callable(deliver):
        await deliver(handler)
        websocket.client_state = WebSocketState.DISCONNECTED  # as its receive would set
        return
    while True:
        try:
            message = await websocket.receive()
        except WebSocketDisconnect:
            return
        if message["type"] == "websocket.disconnect":
            return
        handler(_data_of(message))


def _data_of(message: Any) -> str | bytes:
    """An ASGI `websocket.receive` message's text, or its bytes for a binary frame."""
    text = message.get("text")
    return text if text is not None else message.get("bytes") or b""


def _message_size(message: Any) -> int:
    payload = message.get("text") or message.get("bytes") or b""
    return len(payload)
