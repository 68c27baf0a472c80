"""The packaged model in three weight layouts: prompt reading speed and perplexity.

    .venv/bin/python -m benchmarks.llm_layouts [--threads 1] [--repeats 3]

Why the server converts Q4_1 to Q8_0 (`embedded/llm/requantize.py`): each layout made
from the shipped Q4_1 file in a scratch folder, then, on one thread, the time to compute
the backend's small-talk system prompt (best of `--repeats`) and the perplexity of the
model on a text made of the backend's prompts (lower is better; the same text for all).
"""

from __future__ import annotations

import argparse
import ctypes
import tempfile
import time
from datetime import datetime
from pathlib import Path

import llama_cpp
import numpy as np

from backend.characters.prompts import SMALLTALK, SPOKEN_CONVERSATION_RULES, system_prompt
from backend.realtime.events import SmalltalkInstructions
from embedded.llm import llama_log
from embedded.llm.model_files import model_path

LAYOUTS = {"Q4_0": llama_cpp.LLAMA_FTYPE_MOSTLY_Q4_0, "Q8_0": llama_cpp.LLAMA_FTYPE_MOSTLY_Q8_0}
TEXT = SPOKEN_CONVERSATION_RULES + "\n\n" + SMALLTALK


def convert(source: Path, target: Path, file_type: int) -> float:
    params = llama_cpp.llama_model_quantize_default_params()
    params.ftype = file_type
    params.allow_requantize = True
    started = time.perf_counter()
    if llama_cpp.llama_model_quantize(
        str(source).encode(), str(target).encode(), ctypes.byref(params)
    ):
        raise RuntimeError(f"could not convert {source}")
    return time.perf_counter() - started


def measure(path: Path, threads: int, repeats: int) -> tuple[float, float, float]:
    """Best prompt reading time (s), its speed (tokens/s), and perplexity on TEXT."""
    llama = llama_cpp.Llama(
        str(path), n_ctx=1024, n_threads=threads, n_threads_batch=threads, logits_all=True,
        verbose=False,
    )  # fmt: skip
    prompt = llama.tokenize(
        system_prompt(SmalltalkInstructions(), now=datetime(2025, 6, 2, 9, 30)).encode(),
        add_bos=False,
    )
    best = float("inf")
    for _ in range(repeats):
        llama.n_tokens = 0  # evaluating from the start again
        started = time.perf_counter()
        llama.eval(prompt)
        best = min(best, time.perf_counter() - started)
    tokens = llama.tokenize(TEXT.encode(), add_bos=False)
    llama.n_tokens = 0
    llama.eval(tokens)
    logprobs = llama_cpp.Llama.logits_to_logprobs(llama.scores[: len(tokens)])
    nll = -float(np.mean([logprobs[i, tokens[i + 1]] for i in range(len(tokens) - 1)]))
    llama.close()
    return best, len(prompt) / best, float(np.exp(nll))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    llama_log.route_to_logging()  # llama.cpp's chatter stays out of the table
    shipped = model_path()
    with tempfile.TemporaryDirectory() as scratch:
        files = {"Q4_1 (shipped)": shipped}
        for name, file_type in LAYOUTS.items():
            files[name] = Path(scratch) / f"model.{name}.gguf"
            took = convert(shipped, files[name], file_type)
            print(f"converted to {name} in {took:.1f} s")
        print(f"{'layout':<16} {'file MiB':>8} {'prompt s':>9} {'tokens/s':>9} {'perplexity':>11}")
        for name, path in files.items():
            seconds, speed, perplexity = measure(path, args.threads, args.repeats)
            size = path.stat().st_size / 2**20
            print(f"{name:<16} {size:8.0f} {seconds:9.3f} {speed:9.0f} {perplexity:11.2f}")


if __name__ == "__main__":
    main()
