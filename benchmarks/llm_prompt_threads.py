"""A follow-up turn's time to its first word inside the LLM engine, by prompt threads.

    .venv/bin/python -m benchmarks.llm_prompt_threads [--rounds 2]

The packaged model as the server loads it (the Q8_0 copy), the backend's small-talk
system prompt, its greeting turn and six follow-up questions, the replies fed back. Each
round runs the conversation with prompts on one thread, then on two (llama.cpp's batch
threads; replies are written on one thread either way), alternating, each conversation
with a sampling seed of its own so that none repeats another. Printed per turn:
prompt tokens computed, the time they took (llama.cpp's `eval` of the prompt), and the
time from the request to the first token and to the first complete word. Run it on an
idle machine: the second thread is only worth having when a core is free.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import time
from datetime import datetime

from backend.characters.prompts import system_prompt
from backend.conversation.rules import GREETING_USER_TURN
from backend.realtime.events import SmalltalkInstructions
from embedded.llm.cpu_headroom import CpuHeadroom
from embedded.llm.engine import LlamaEngine
from embedded.llm.generation import Sampling
from embedded.llm.model_files import model_path
from embedded.llm.model_loading import load_engine
from embedded.llm.settings import DEFAULT_CACHE_DIR, EngineSettings
from embedded.llm.wire import RequestMessage

QUESTIONS = [
    "What is your name?",
    "Where do you live these days?",
    "Tell me something about the weather.",
    "Do you like music?",
    "What should I cook tonight?",
    "How far away is the moon?",
]


async def conversation(
    engine: LlamaEngine, prompt_threads: int, seed: int
) -> list[tuple[int, float, float, float]]:
    """(tokens computed, their eval ms, first token ms, first word ms) per follow-up."""
    llama = engine._llama
    evals: list[tuple[int, float]] = []
    plain_eval = llama.eval

    def timed_eval(tokens: list[int]) -> None:
        started = time.perf_counter()
        plain_eval(tokens)
        evals.append((len(tokens), time.perf_counter() - started))

    llama.eval = timed_eval  # type: ignore[method-assign,assignment]
    system = system_prompt(SmalltalkInstructions(), now=datetime(2026, 12, 4, 12))
    messages = [
        RequestMessage(role="system", content=system),
        RequestMessage(role="user", content=GREETING_USER_TURN),
    ]
    turns = []
    try:
        for index, question in enumerate([None, *QUESTIONS]):
            if question is not None:
                messages.append(RequestMessage(role="user", content=question))
            evals.clear()
            engine._headroom = FixedThreads(prompt_threads)  # the engine's own choice, fixed
            started = time.perf_counter()
            generation = engine.start(
                engine.prepare(messages), Sampling(0.7, 0.95, 60, seed=seed + index)
            )
            pieces: list[tuple[float, str]] = []
            async for text in generation.texts():
                pieces.append((time.perf_counter(), text))
            first_word = next(  # a word is complete once a piece after it starts a new one
                (at for i, (at, text) in enumerate(pieces) if i and text[:1].isspace()),
                pieces[-1][0],
            )
            if question is not None:
                computed, eval_s = evals[0]
                turns.append(
                    (
                        computed,
                        eval_s * 1000,
                        (pieces[0][0] - started) * 1000,
                        (first_word - started) * 1000,
                    )
                )
            messages.append(RequestMessage(role="assistant", content="".join(t for _, t in pieces)))
            await asyncio.sleep(0.3)  # the read-ahead of the next turn's opening
    finally:
        llama.eval = plain_eval  # type: ignore[method-assign]
    return turns


class FixedThreads(CpuHeadroom):
    """Every prompt on `prompt_threads` threads, whatever the cores did."""

    def __init__(self, prompt_threads: int) -> None:
        super().__init__(threads=1, most=prompt_threads)
        self._fixed = prompt_threads

    def prompt_threads(self) -> int:
        return self._fixed


def spread(values: list[float]) -> str:
    return f"{min(values):.0f}–{max(values):.0f} (median {statistics.median(values):.0f})"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=2)
    args = parser.parse_args()
    engine = load_engine(model_path(), EngineSettings(), name="bench", cache_dir=DEFAULT_CACHE_DIR)
    results: dict[int, list[tuple[int, float, float, float]]] = {1: [], 2: []}
    try:
        for round_ in range(args.rounds):
            for threads in (1, 2):  # a seed of its own: no conversation repeats another
                seed = 100 * (2 * round_ + threads)
                results[threads] += asyncio.run(conversation(engine, threads, seed))
    finally:
        engine.close()
    for threads, turns in results.items():
        print(f"prompts on {threads} thread(s), {len(turns)} follow-ups:")
        print(f"  tokens computed   {spread([t[0] for t in turns])}")
        print(f"  their eval, ms    {spread([t[1] for t in turns])}")
        print(f"  first token, ms   {spread([t[2] for t in turns])}")
        print(f"  first word, ms    {spread([t[3] for t in turns])}")


if __name__ == "__main__":
    main()
