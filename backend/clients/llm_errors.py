"""How the LLM client fails: `LlmError` and its kinds, each with a message fit for logs that
says what went wrong and where (the request, and an excerpt of the server's reason)."""

from __future__ import annotations

import contextlib
import json
from collections.abc import Iterator

import httpx

# How much of an error body goes into a log line: enough to read the server's reason.
ERROR_EXCERPT_CHARS = 300


class LlmError(Exception):
    """The LLM could not produce a reply; the message is fit for logs."""


class LlmHttpError(LlmError):
    def __init__(self, message: str, *, status: int) -> None:
        super().__init__(message)
        self.status = status


class LlmConnectionError(LlmError):
    """The server could not be reached (refused, DNS, reset)."""


class LlmTimeoutError(LlmError):
    """The server did not answer within one of `LlmTimeouts`."""


@contextlib.contextmanager
def translate_errors(url: str, method: str, connect_timeout_s: float) -> Iterator[None]:
    """Turns transport failures into `LlmError`s that say what went wrong, and where."""
    try:
        yield
    except httpx.ConnectTimeout as error:
        raise LlmTimeoutError(
            f"{method} {url}: no connection within {connect_timeout_s:g} s"
        ) from error
    except httpx.TimeoutException as error:
        raise LlmTimeoutError(f"{method} {url}: timed out ({type(error).__name__})") from error
    except httpx.ConnectError as error:
        raise LlmConnectionError(f"{method} {url}: cannot connect ({error})") from error
    except httpx.HTTPError as error:
        raise LlmError(f"{method} {url}: {type(error).__name__}: {error}") from error


def http_error(method: str, url: str, status: int, body: str) -> LlmHttpError:
    return LlmHttpError(f"{method} {url}: HTTP {status}: {excerpt(body)}", status=status)


async def read_excerpt(response: httpx.Response) -> str:
    """The start of a streamed body, without reading an unbounded amount of it."""
    received = b""
    async for part in response.aiter_bytes():
        received += part
        if len(received) >= ERROR_EXCERPT_CHARS * 4:
            break
    return received.decode("utf-8", errors="replace")


def excerpt(value: object) -> str:
    text = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)
    text = " ".join(text.split())
    return text if len(text) <= ERROR_EXCERPT_CHARS else text[:ERROR_EXCERPT_CHARS] + "…"
