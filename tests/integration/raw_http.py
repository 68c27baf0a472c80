"""HTTP by hand, for servers that must control every byte and segment they send."""

from __future__ import annotations

import asyncio


async def read_http_request(reader: asyncio.StreamReader) -> None:
    """Read one request, its head and its body (by Content-Length), and drop it."""
    head = await reader.readuntil(b"\r\n\r\n")
    length = next(
        int(line.split(b":", 1)[1])
        for line in head.split(b"\r\n")
        if line.lower().startswith(b"content-length:")
    )
    await reader.readexactly(length)
