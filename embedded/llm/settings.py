"""The LLM server's settings and their defaults, readable without loading llama.cpp (the
command line shows them in its help)."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

# One thread leaves the other core of a two-core machine to the speech servers and the
# backend. llama.cpp's threads wait for each other at every step, so when one of them
# shares its core with a busy process, all of them crawl (measured next to one busy
# process: 2 threads read prompts 2 to 3 times slower than 1 thread).
DEFAULT_THREADS = 1
DEFAULT_CONTEXT_TOKENS = 4096
# When a request sets no max_tokens, a reply ends with the sentence it is in past this
# many tokens (and at twice as many wherever it is): about three spoken sentences.
DEFAULT_MAX_REPLY_TOKENS = 60
# Saved prompt states: about 23 KiB per token for SmolLM2-135M, so the latest turn of
# four conversations of 600 tokens takes 55 MiB. Memory used stays at its peak.
DEFAULT_PROMPT_CACHE_MB = 64


@dataclass(frozen=True)
class EngineSettings:
    threads: int = DEFAULT_THREADS
    context_tokens: int = DEFAULT_CONTEXT_TOKENS
    max_reply_tokens: int = DEFAULT_MAX_REPLY_TOKENS
    prompt_cache_mb: int = DEFAULT_PROMPT_CACHE_MB
    # At most this many threads read a prompt when as many cores sat idle while the model
    # waited (`cpu_headroom`); None: the cores this process may use.
    prompt_threads: int | None = None


# Where converted model files are kept.
DEFAULT_CACHE_DIR = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "unmute/llm"
