"""Opening an STT or TTS stream with a few quick retries, all within one deadline.

A slot frees up as soon as another conversation's stream closes, and a node that just
failed may be replaced by the next one asked: a short exponential backoff with jitter
(tenacity) rides over both. A refused API key is not retried: every node shares it.
The attempts share the caller's deadline, so retrying never stretches a wait the user
notices past what it was given.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from typing import TypeVar

from tenacity import AsyncRetrying, retry_if_exception, stop_after_attempt, wait_exponential_jitter

from backend.clients.speech_errors import SpeechAuthError, SpeechServiceError
from backend.deadline import Deadline

OPEN_ATTEMPTS = 3  # all nodes full or down: back off briefly, then give up and say so

T = TypeVar("T")


class OpenDeadlinePassed(SpeechServiceError):
    """No stream could be opened before the deadline of the wait it serves."""


def _retryable(error: BaseException) -> bool:
    return isinstance(error, SpeechServiceError) and not isinstance(error, SpeechAuthError)


async def open_with_retries(
    open_stream: Callable[[], Awaitable[T]], deadline: Deadline | None = None
) -> T:
    """`open_stream()`, retried on speech-service errors until `deadline`; raises the last
    error, or `OpenDeadlinePassed` when the deadline cuts the attempts short."""
    timeout_s = None if deadline is None else deadline.remaining_s(time.monotonic())
    if timeout_s == 0.0:
        raise OpenDeadlinePassed("the deadline passed before a stream could be asked for")
    try:
        async with asyncio.timeout(timeout_s) as scope:
            async for attempt in AsyncRetrying(
                stop=stop_after_attempt(OPEN_ATTEMPTS),
                wait=wait_exponential_jitter(multiplier=0.1, max=0.5, jitter=0.1),
                retry=retry_if_exception(_retryable),
                reraise=True,
            ):
                with attempt:
                    return await open_stream()
    except TimeoutError:
        if not scope.expired():
            raise
        raise OpenDeadlinePassed(f"no stream within {timeout_s:.1f} s") from None
    raise AssertionError("unreachable: tenacity reraises the last error")
