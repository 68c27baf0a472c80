"""The WebSocket under both speech clients: open, wait for `Ready`, move typed messages.

moshi-server's STT and TTS share the same framing (one msgpack map with a `type` key
per binary frame), the same auth header and the same way of saying "full". This module
holds that common part; `stt.py` and `tts.py` only add their message types, read and
written by `backend.speech_protocol`.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from types import TracebackType
from typing import Generic, Self, TypeVar

from backend.clients.speech_connection import (
    CLOSE_TIMEOUT_S,
    SpeechConnection,
    SpeechConnectionClosed,
    SpeechUpgradeRefused,
    connect_speech,
)
from backend.clients.speech_errors import (
    InstanceUnreachable,
    ServiceBusy,
    SpeechAuthError,
    SpeechStreamError,
)
from backend.log_context import conversation_logger
from backend.speech_protocol.codec import (
    Error,
    MalformedMessage,
    Message,
    MessageDecoder,
    ProtocolError,
    Ready,
    encode,
)
from backend.speech_protocol.constants import API_KEY_HEADER, NO_FREE_CHANNELS

logger = conversation_logger(__name__)

Received = TypeVar("Received")

# A node on the same network answers the upgrade in milliseconds; 3 s means it is down.
CONNECT_TIMEOUT_S = 3.0
# moshi-server sends Ready as soon as it has a slot; a silent node is stuck.
READY_TIMEOUT_S = 5.0
# Audio is ~120 kB/s as msgpack; a server that leaves ~8 s of it unread has stalled,
# and failing the stream beats buffering without bound.
MAX_UNSENT_BYTES = 1 << 20


def _decode(
    decoder: MessageDecoder[Received], frame: bytes | str, *, service: str, url: str
) -> Received | None:
    """The typed message in a frame, or None for one to skip: a frame that is no typed
    map, or a type this client does not know (a newer server may send more).

    A known type with a bad field is a broken stream: raises `SpeechStreamError`.
    """
    try:
        return decoder.decode(frame)
    except MalformedMessage as error:
        raise SpeechStreamError(service, str(error)) from None
    except ProtocolError as skipped:
        logger.debug("%s: skipped a frame: %s", url, skipped)
        return None


class SpeechSocket(Generic[Received]):
    """A ready speech stream: sends never wait on the network, receives yield messages.

    A send is written to the socket at once; a caller that sends audio every 80 ms is
    never held up by a slow server, and one that stopped reading is found out by what it
    left unread.
    """

    def __init__(
        self,
        websocket: SpeechConnection,
        *,
        service: str,
        url: str,
        decoder: MessageDecoder[Received],
    ) -> None:
        self.service = service
        self.url = url
        self._websocket = websocket
        self._decoder = decoder
        self._failure: SpeechStreamError | None = None

    def send(self, message: Message) -> None:
        """Send one message; raises the error that broke the stream, if any."""
        self.send_frame(encode(message))

    def send_frame(self, frame: bytes) -> None:
        """Send one message already packed as msgpack (see `audio_frames`)."""
        if self._failure is not None:
            raise self._failure
        if self._websocket.unsent_bytes + len(frame) > MAX_UNSENT_BYTES:
            self._failure = SpeechStreamError(self.service, "the server stopped reading")
            raise self._failure
        try:
            self._websocket.send(frame)
        except SpeechConnectionClosed as closed:
            self._failure = SpeechStreamError(self.service, f"connection closed: {closed}")
            raise self._failure from None

    async def receive(self) -> Received | None:
        """The next typed message, or None once the server closed the stream normally.

        Raises `SpeechStreamError` on a server `Error`, a malformed message or a
        connection lost abruptly. A repeated `Ready` is skipped.
        """
        while True:
            try:
                frame = await self._websocket.next_message()
            except SpeechConnectionClosed as closed:
                if closed.normal:
                    return None
                raise SpeechStreamError(self.service, f"connection lost: {closed}") from None
            message = _decode(self._decoder, frame, service=self.service, url=self.url)
            if isinstance(message, Error):
                raise SpeechStreamError(self.service, message.message)
            if message is not None and not isinstance(message, Ready):
                return message

    async def deliver(self, handler: Callable[[Received], None]) -> None:
        """Hand each typed message to `handler` as it arrives (see
        `SpeechConnection.deliver`); return once the server closed the stream normally.

        Raises as `receive` does, and what `handler` raised.
        """

        def take(frame: bytes | str) -> None:
            message = _decode(self._decoder, frame, service=self.service, url=self.url)
            if isinstance(message, Error):
                raise SpeechStreamError(self.service, message.message)
            if message is not None and not isinstance(message, Ready):
                handler(message)

        try:
            await self._websocket.deliver(take)
        except SpeechConnectionClosed as closed:
            if closed.normal:
                return
            raise SpeechStreamError(self.service, f"connection lost: {closed}") from None

    async def aclose(self) -> None:
        """Close the connection; safe to call more than once."""
        await self._websocket.close(CLOSE_TIMEOUT_S)


async def open_speech_socket(
    url: str,
    *,
    api_key: str,
    service: str,
    decoder: MessageDecoder[Received],
    first_message: bytes | None = None,
    connect_timeout_s: float = CONNECT_TIMEOUT_S,
    ready_timeout_s: float = READY_TIMEOUT_S,
) -> SpeechSocket[Received]:
    """Connect to the full stream `url`, send `first_message` if any, and wait for `Ready`.

    Raises `ServiceBusy` ("no free channels"), `SpeechAuthError` (key refused),
    `InstanceUnreachable` (anything else that keeps us from a ready stream).
    """
    try:
        websocket = await connect_speech(
            url, headers={API_KEY_HEADER: api_key}, timeout_s=connect_timeout_s
        )
    except SpeechUpgradeRefused as refused:
        if refused.status in (401, 403):
            raise SpeechAuthError(url, refused.status) from None
        raise InstanceUnreachable(url, str(refused)) from None
    except (OSError, TimeoutError) as exc:  # ConnectionError included
        raise InstanceUnreachable(url, str(exc) or type(exc).__name__) from exc

    try:
        if first_message is not None:
            websocket.send(first_message)
        async with asyncio.timeout(ready_timeout_s):
            answer = await _first_message(websocket, decoder, service=service, url=url)
    except TimeoutError:
        await websocket.close(CLOSE_TIMEOUT_S)
        raise InstanceUnreachable(url, f"no Ready within {ready_timeout_s:g} s") from None
    except SpeechConnectionClosed as closed:
        raise InstanceUnreachable(url, f"closed before Ready: {closed}") from None
    except BaseException:  # cancelled (a deadline): leave at once, the server sees the drop
        websocket.abort()
        raise

    if isinstance(answer, Ready):
        return SpeechSocket(websocket, service=service, url=url, decoder=decoder)
    await websocket.close(CLOSE_TIMEOUT_S)
    if isinstance(answer, Error):
        if answer.message == NO_FREE_CHANNELS:
            raise ServiceBusy(url)
        raise InstanceUnreachable(url, f"server error before Ready: {answer.message}")
    raise InstanceUnreachable(url, f"expected Ready, got {type(answer).__name__}")


async def _first_message(
    websocket: SpeechConnection, decoder: MessageDecoder[Received], *, service: str, url: str
) -> Received:
    while True:
        try:
            message = _decode(decoder, await websocket.next_message(), service=service, url=url)
        except SpeechStreamError as malformed:
            raise InstanceUnreachable(url, str(malformed)) from None
        if message is not None:
            return message


Yielded = TypeVar("Yielded")


class SpeechStream(Generic[Received, Yielded]):
    """An open STT or TTS stream. Sending never waits on the network; iterate to receive.

    Iteration yields what `_parse` keeps of the server's messages, ends when the server
    closes the stream normally, and raises `SpeechStreamError` on a server `Error`, a
    malformed message or a lost connection.
    """

    def __init__(self, socket: SpeechSocket[Received], instance: str = "") -> None:
        self._socket = socket
        self.instance = instance  # the base URL this stream runs on, as instances are named

    @property
    def url(self) -> str:
        """The full URL of this stream."""
        return self._socket.url

    def _parse(self, message: Received) -> Yielded | None:
        raise NotImplementedError

    def __aiter__(self) -> AsyncIterator[Yielded]:
        return self._messages()

    async def deliver(self, handler: Callable[[Yielded], None]) -> None:
        """What iteration would yield, handed to `handler` in the loop turn that read it
        (no task wake-up per message); returns, and raises, where iteration would end."""

        def take(message: Received) -> None:
            parsed = self._parse(message)
            if parsed is not None:
                handler(parsed)

        await self._socket.deliver(take)

    async def _messages(self) -> AsyncIterator[Yielded]:
        while (message := await self._socket.receive()) is not None:
            parsed = self._parse(message)
            if parsed is not None:
                yield parsed

    async def aclose(self) -> None:
        await self._socket.aclose()

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        await self.aclose()
