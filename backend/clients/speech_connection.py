"""websockets' client connection with a lighter way in for messages: a speech server's.

A speech stream receives a message every 80 ms (each STT step, each TTS audio frame),
and websockets hands each one over through its general-purpose assembler: a queue, flow
control checks on both sides, a join of the message's fragments, about a dozen Python
calls per message. Here whole messages go into a deque that `next_message` reads: the
same messages, in the same order, with the same flow control (reading pauses while
`MAX_QUEUED` messages wait), the same refusals (text that is not UTF-8, a message in more
than `MAX_FRAGMENTS` pieces: the connection closes, nothing after is read) and the same end
(`ConnectionClosed` once they are read). Everything else (handshake, pings, closing,
sending) is websockets' own. The internals this builds on are pinned by
tests/unit/test_speech_connection_websockets.py: an upgrade of websockets that changes
them fails there.
"""

from __future__ import annotations

import asyncio
from collections import deque

from websockets.asyncio.client import ClientConnection
from websockets.frames import Frame, Opcode
from websockets.protocol import Event, State
from websockets.typing import Data

__all__ = ["MAX_QUEUED", "SpeechConnection"]

# websockets' own default: a server far ahead of its reader stops being read.
MAX_QUEUED = 16
RESUME_AT = MAX_QUEUED // 4
INVALID_DATA = 1007  # RFC 6455: a text message that is not UTF-8
MESSAGE_TOO_BIG = 1009
# websockets' own limit: a message in more pieces is refused, however small they are.
MAX_FRAGMENTS = 4096


class SpeechConnection(ClientConnection):
    """Pass it as `connect(create_connection=...)`; read with `next_message`, not `recv`."""

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        super().connection_made(transport)
        self._messages: deque[Data] = deque()
        self._fragments: list[Frame] = []
        self._reader: asyncio.Future[None] | None = None
        self._reading_paused = False
        self._refused = False  # a message was refused: the connection is closing

    async def next_message(self) -> Data:
        """The next whole message (bytes, or str for a text message); raises
        `ConnectionClosed` once the connection is closed and every message was read."""
        while not self._messages:
            if self.protocol.state is State.CLOSED:
                raise self.close_exc
            if self._reader is not None:
                raise RuntimeError("a SpeechConnection has one reader, already waiting")
            self._reader = reader = self.loop.create_future()
            try:
                await reader
            finally:
                if self._reader is reader:
                    self._reader = None
        if self._reading_paused and len(self._messages) <= RESUME_AT:
            self._reading_paused = False
            if not self.transport.is_closing():
                self.transport.resume_reading()
        return self._messages.popleft()

    def process_event(self, event: Event) -> None:
        if self.response is None or not isinstance(event, Frame):
            super().process_event(event)  # the handshake's response
            return
        if event.opcode is Opcode.BINARY or event.opcode is Opcode.TEXT:
            self._fragments = [event]
        elif event.opcode is Opcode.CONT:
            self._fragments.append(event)  # the protocol checked that a message is open
        else:
            super().process_event(event)  # control frames: pongs acknowledge our pings
            return
        if self._refused:  # frames read along with a refused message: none is a message
            self._fragments = []
        elif event.opcode is Opcode.CONT and len(self._fragments) > MAX_FRAGMENTS:
            self._fragments = []
            self._refuse(MESSAGE_TOO_BIG, "too many fragments")
        elif event.fin:
            self._take(self._fragments)
            self._fragments = []

    def connection_lost(self, exc: Exception | None) -> None:
        super().connection_lost(exc)
        self._wake_reader()  # it raises `ConnectionClosed` once the queue is read

    def _take(self, frames: list[Frame]) -> None:
        data = frames[0].data if len(frames) == 1 else b"".join(f.data for f in frames)
        payload = bytes(data)
        message: Data = payload
        if frames[0].opcode is Opcode.TEXT:
            try:
                message = payload.decode()
            except UnicodeDecodeError as error:
                self._refuse(INVALID_DATA, f"{error.reason} at position {error.start}")
                return
        self._messages.append(message)
        full = len(self._messages) >= MAX_QUEUED
        if full and not self._reading_paused and not self.transport.is_closing():
            self._reading_paused = True
            self.transport.pause_reading()
        self._wake_reader()

    def _refuse(self, code: int, reason: str) -> None:
        """Close the connection as websockets' own reader does on a message it refuses."""
        self._refused = True
        self.protocol.fail(code, reason)
        self.send_data()

    def _wake_reader(self) -> None:
        reader, self._reader = self._reader, None
        if reader is not None and not reader.done():
            reader.set_result(None)
