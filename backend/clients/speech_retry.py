"""Opening an STT or TTS stream with a few quick retries.

A slot frees up as soon as another conversation's stream closes, and a node that just
failed may be replaced by the next one asked: a short exponential backoff with jitter
(tenacity) rides over both. A refused API key is not retried: every node shares it.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import TypeVar

from tenacity import AsyncRetrying, retry_if_exception, stop_after_attempt, wait_exponential_jitter

from backend.clients.speech_errors import SpeechAuthError, SpeechServiceError

OPEN_ATTEMPTS = 3  # all nodes full or down: back off briefly, then give up and say so

T = TypeVar("T")


def _retryable(error: BaseException) -> bool:
    return isinstance(error, SpeechServiceError) and not isinstance(error, SpeechAuthError)


async def open_with_retries(open_stream: Callable[[], Awaitable[T]]) -> T:
    """`open_stream()`, retried on speech-service errors; raises the last one."""
    async for attempt in AsyncRetrying(
        stop=stop_after_attempt(OPEN_ATTEMPTS),
        wait=wait_exponential_jitter(multiplier=0.1, max=0.5, jitter=0.1),
        retry=retry_if_exception(_retryable),
        reraise=True,
    ):
        with attempt:
            return await open_stream()
    raise AssertionError("unreachable: tenacity reraises the last error")
