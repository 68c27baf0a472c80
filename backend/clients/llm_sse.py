"""The `data` of a server-sent event stream, read from its bytes as they arrive.

A streamed completion is an event stream (the WHATWG "server-sent events" format): lines
ended by `\\r\\n`, `\\n` or `\\r`, `data:` lines joined into one event by a blank line,
`:` comments (keep-alives) and other fields ignored. Reads split it anywhere, mid-line and
mid-`\\r\\n` included. Sans-I/O, and a handful of C calls per read: the stream of a reply
is read once per token, so every layer per read counts (`httpx_sse`'s text decoding, line
splitting and event objects cost about 40 Python calls per token).
"""

from __future__ import annotations

_BOM = b"\xef\xbb\xbf"

# A token's event is well under a kilobyte, a whole tool call sent at once a few: a stream
# whose event grows past this is not a completion, and must not fill the memory.
MAX_EVENT_BYTES = 1 << 20


class SseTooLongError(ValueError):
    """An event (or one line of it) over `MAX_EVENT_BYTES`."""


class SseDataReader:
    """Feed it the body's bytes as read; it returns the `data` of each event they complete.

    Only `data` is kept: an OpenAI-compatible server says everything in it (`event`, `id`
    and `retry` mean nothing to a completion). An event with no `data` line is no event,
    and one left unfinished when the body ends is dropped, as the format says."""

    def __init__(self) -> None:
        self._rest = b""  # an unfinished line (and a `\r` that a `\n` may follow)
        self._data: list[bytes] = []
        self._data_bytes = 0
        self._at_start = True

    def feed(self, received: bytes) -> list[str]:
        text = self._rest + received
        if self._at_start:
            if len(text) < len(_BOM) and _BOM.startswith(text):
                self._rest = text
                return []
            self._at_start = False
            text = text.removeprefix(_BOM)
        if b"\r" in text:
            # A `\r` at the end may be the first half of a `\r\n`: it waits for more.
            held = text.endswith(b"\r")
            text = text[:-1] if held else text
            lines = text.replace(b"\r\n", b"\n").replace(b"\r", b"\n").split(b"\n")
            lines[-1] += b"\r" if held else b""
        else:
            lines = text.split(b"\n")
        self._rest = lines.pop()
        if len(self._rest) > MAX_EVENT_BYTES:
            raise SseTooLongError(f"an event stream line over {MAX_EVENT_BYTES:,} bytes")
        events: list[str] = []
        for line in lines:
            if not line:
                if self._data:
                    events.append(b"\n".join(self._data).decode("utf-8", "replace"))
                    self._data, self._data_bytes = [], 0
            elif line.startswith(b"data"):
                name, _, value = line.partition(b":")
                if name == b"data":
                    self._data.append(value[1:] if value.startswith(b" ") else value)
                    self._data_bytes += len(value)
                    if self._data_bytes > MAX_EVENT_BYTES:
                        raise SseTooLongError(f"an event over {MAX_EVENT_BYTES:,} bytes")
        return events

    def finish(self) -> list[str]:
        """The body ended: a `\\r` held back was a line's end, and an empty line ends an event."""
        rest, self._rest = self._rest, b""
        if rest != b"\r" or not self._data:
            return []
        data, self._data, self._data_bytes = self._data, [], 0
        return [b"\n".join(data).decode("utf-8", "replace")]
