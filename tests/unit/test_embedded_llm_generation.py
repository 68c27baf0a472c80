"""A generation handed from the model's thread to the event loop: text in order, then the
result or the error; cancelling is seen by the thread."""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Callable

import pytest

from embedded.llm.generation import Generation, GenerationResult

RESULT = GenerationResult("stop", prompt_tokens=3, cached_tokens=0, completion_tokens=2)


def run_in_thread(work: Callable[[], None]) -> threading.Thread:
    thread = threading.Thread(target=work)
    thread.start()
    return thread


async def test_text_arrives_in_order_then_the_result() -> None:
    generation = Generation()

    def model() -> None:
        for piece in ("Hello", " there", "."):
            generation.emit(piece)
        generation.finish(RESULT)

    thread = run_in_thread(model)
    assert [piece async for piece in generation.texts()] == ["Hello", " there", "."]
    assert generation.result == RESULT
    thread.join()


async def test_the_result_is_unknown_until_the_text_is_read() -> None:
    generation = Generation()
    with pytest.raises(RuntimeError, match="not finished"):
        _ = generation.result


async def test_a_failure_reaches_the_reader_after_the_text_before_it() -> None:
    generation = Generation()
    generation.emit("Hel")
    generation.fail(OSError("decode failed"))
    received: list[str] = []
    with pytest.raises(OSError, match="decode failed"):
        async for piece in generation.texts():
            received.append(piece)
    assert received == ["Hel"]


async def test_cancelling_on_the_loop_is_seen_by_the_model_thread() -> None:
    generation = Generation()

    def model() -> None:
        generation.emit("Once")
        while not generation.cancelled:
            time.sleep(0.001)
        generation.finish(RESULT)

    thread = run_in_thread(model)
    async for piece in generation.texts():
        assert piece == "Once"
        generation.cancel()
    assert generation.result == RESULT  # the thread saw the cancellation and finished
    thread.join()


def test_handing_over_after_the_loop_closed_is_harmless() -> None:
    async def create() -> Generation:
        return Generation()

    generation = asyncio.run(create())  # its loop is closed now, as after a shutdown
    generation.emit("late")
    generation.finish(RESULT)
