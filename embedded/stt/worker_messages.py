"""What the server and its recogniser worker processes say to each other over pipes.

Each message is a msgpack map preceded by its length (4 bytes, big-endian). Commands
carry the id of the stream they belong to, and so do the answers: a worker serves one
stream after another, and answers meant for a stream that has ended are dropped.

Server → worker: `reset {stream}`, `audio {stream, pcm (16 kHz int16 bytes), voiced}`,
`marker {stream, id}`. Worker → server: `ready` once, then for every `audio` a
`processed {stream, frames, idle, words, compute_s}` and for every `marker` a
`marker {stream, id, frames, idle, words}`; `words` are `[text, start_s, stop_s]` lists.
"""

from __future__ import annotations

import asyncio
import struct
from typing import Any, BinaryIO

import msgpack

_LENGTH = struct.Struct(">I")


def encode(message: dict[str, Any]) -> bytes:
    body: bytes = msgpack.packb(message, use_bin_type=True)
    return _LENGTH.pack(len(body)) + body


def read_blocking(stream: BinaryIO) -> dict[str, Any] | None:
    """The next message, or None at the end of the stream."""
    header = _read_exactly(stream, _LENGTH.size)
    if header is None:
        return None
    body = _read_exactly(stream, _LENGTH.unpack(header)[0])
    return None if body is None else _decode(body)


async def read(reader: asyncio.StreamReader) -> dict[str, Any] | None:
    """The next message, or None once the other side has closed its end."""
    try:
        header = await reader.readexactly(_LENGTH.size)
        body = await reader.readexactly(_LENGTH.unpack(header)[0])
    except asyncio.IncompleteReadError:
        return None
    return _decode(body)


def _decode(body: bytes) -> dict[str, Any]:
    message = msgpack.unpackb(body, raw=False)
    if not isinstance(message, dict):
        raise ValueError("worker messages are msgpack maps")
    return message


def _read_exactly(stream: BinaryIO, size: int) -> bytes | None:
    chunks = []
    while size:
        chunk = stream.read(size)
        if not chunk:
            return None
        chunks.append(chunk)
        size -= len(chunk)
    return b"".join(chunks)
