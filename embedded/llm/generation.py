"""One generation between the event loop and the thread that runs llama.cpp.

The request handler creates a `Generation` on the event loop and reads its text with
`texts()`; the model's thread checks `cancelled` between tokens and hands each piece of
text over with `emit`, then the outcome with `finish` or `fail`. `cancel()` is safe to
call at any time from the loop: a client that left stops its generation at the next
token, or before it starts if it is still waiting for the model.
"""

from __future__ import annotations

import asyncio
import contextlib
import threading
from collections.abc import AsyncIterator
from dataclasses import dataclass

from embedded.llm.reply_length import ReplyLength
from embedded.llm.wire import FinishReason


@dataclass(frozen=True)
class Sampling:
    """How to pick the tokens of one reply (the request's settings, with our limits)."""

    temperature: float
    top_p: float
    max_tokens: int
    length: ReplyLength | None = None  # when the request set no max_tokens
    stop: tuple[str, ...] = ()
    seed: int | None = None
    presence_penalty: float = 0.0
    frequency_penalty: float = 0.0


@dataclass(frozen=True)
class GenerationResult:
    finish_reason: FinishReason
    prompt_tokens: int
    cached_tokens: int  # of the prompt, reused from an earlier request's computation
    completion_tokens: int
    cancelled: bool = False  # stopped early because its client left
    text: str = ""  # the reply as written
    prompt_threads: int = 1  # llama.cpp threads that read the prompt


@dataclass(frozen=True)
class _End:
    result: GenerationResult | None
    error: BaseException | None


class Generation:
    def __init__(self) -> None:
        self._loop = asyncio.get_running_loop()
        self._pieces: asyncio.Queue[str | _End] = asyncio.Queue()
        self._cancelled = threading.Event()
        self._result: GenerationResult | None = None

    # --- The event loop's side ---------------------------------------------------------

    def cancel(self) -> None:
        self._cancelled.set()

    async def texts(self) -> AsyncIterator[str]:
        """The reply's text piece by piece; raises the model's error if it failed."""
        while True:
            piece = await self._pieces.get()
            if isinstance(piece, _End):
                if piece.error is not None:
                    raise piece.error
                self._result = piece.result
                return
            yield piece

    @property
    def result(self) -> GenerationResult:
        """Available once `texts()` is exhausted."""
        if self._result is None:
            raise RuntimeError("the generation has not finished")
        return self._result

    # --- The model thread's side --------------------------------------------------------

    @property
    def cancelled(self) -> bool:
        return self._cancelled.is_set()

    def emit(self, text: str) -> None:
        self._hand_over(text)

    def finish(self, result: GenerationResult) -> None:
        self._hand_over(_End(result, None))

    def fail(self, error: BaseException) -> None:
        self._hand_over(_End(None, error))

    def _hand_over(self, item: str | _End) -> None:
        # The loop may be gone (its client and server stopped): nobody is listening then.
        with contextlib.suppress(RuntimeError):
            self._loop.call_soon_threadsafe(self._pieces.put_nowait, item)
