"""The model, generating one reply at a time on its own thread.

Generation is serialised: on a small CPU two replies at once would each run at half speed
and both arrive late. Requests wait in order; one whose client left is skipped, and one
whose client leaves mid-reply stops at the next token. Before each reply, the prompt's
start is taken from the live context or from a saved state (`PrefixCache`), so only the
new part of a conversation is computed; after each reply the live state is saved.
"""

from __future__ import annotations

import ctypes
import logging
import threading
from collections.abc import Generator, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import cast

import llama_cpp
import numpy as np
import numpy.typing as npt
from llama_cpp import Llama, StoppingCriteriaList
from llama_cpp.llama_types import CreateCompletionStreamResponse

from embedded.llm.chat_template import ChatTemplate, InvalidConversation
from embedded.llm.cpu_headroom import CpuHeadroom
from embedded.llm.generation import Generation, GenerationResult, Sampling
from embedded.llm.prefix_cache import PrefixCache, SavedState
from embedded.llm.reply_length import ReplyLength
from embedded.llm.settings import EngineSettings
from embedded.llm.wire import FinishReason, RequestMessage

logger = logging.getLogger(__name__)

MIB = 1024 * 1024
# After a reply, the marks that open the user's next turn (`<|im_end|>`, `<|im_start|>user`
# and the like, ~5 tokens) are computed while the reply is being spoken: the next turn's
# first token then waits only for the user's own words (measured: 19 new tokens took
# 92 ms at a 490-token context on one core, ~5 ms a token). More than this many tokens
# would be no turn marks.
READ_AHEAD_MAX_TOKENS = 16
_NEXT_TURN_MARK = "\u2063next\u2063"  # a stand-in for the next user turn's words
# llama-cpp-python's chat defaults: top-k and min-p cut the unlikely tail, and a light
# repetition penalty keeps small models out of loops.
TOP_K = 40
MIN_P = 0.05
REPEAT_PENALTY = 1.1
_TAIL_CHARS = 16


@dataclass
class EngineStats:
    """Totals since start; logged with each reply."""

    replies: int = 0
    cancelled: int = 0
    prompt_tokens: int = 0
    cached_tokens: int = 0
    completion_tokens: int = 0
    read_aheads: int = 0  # next turns' openings computed while the model was idle
    widened_prompts: int = 0  # prompts read on more threads than the model's own


class PromptTooLong(ValueError):
    pass


@dataclass(frozen=True)
class PreparedPrompt:
    tokens: tuple[int, ...]
    stop: tuple[str, ...]
    messages: tuple[RequestMessage, ...] = ()


_State = ctypes.Array[ctypes.c_uint8]


class LlamaEngine:
    def __init__(
        self,
        llama: Llama,
        name: str,
        settings: EngineSettings,
        headroom: CpuHeadroom | None = None,
    ) -> None:
        self.name = name
        self.settings = settings
        self.stats = EngineStats()
        self._llama = llama
        self._template = ChatTemplate.from_metadata(
            llama.metadata,
            bos_token=self._token_text(llama.token_bos()),
            eos_token=self._token_text(llama.token_eos()),
            model=name,
        )
        self._cache: PrefixCache[_State] = PrefixCache(settings.prompt_cache_mb * MIB)
        self._worker = ThreadPoolExecutor(max_workers=1, thread_name_prefix="llama")
        self._waiting = 0  # replies queued behind the one being written
        self._waiting_lock = threading.Lock()
        self._headroom = headroom or CpuHeadroom(settings.threads, settings.prompt_threads)
        self._headroom.waiting_starts()

    @property
    def context_tokens(self) -> int:
        return self._llama.n_ctx()

    def prepare(self, messages: Sequence[RequestMessage]) -> PreparedPrompt:
        """The conversation as prompt tokens; raises `InvalidConversation` or `PromptTooLong`."""
        prompt = self._template.render(messages)
        # The template writes the special tokens (turn marks, BOS) itself, as text.
        tokens = self._llama.tokenize(prompt.text.encode(), add_bos=False, special=True)
        if len(tokens) >= self.context_tokens:
            raise PromptTooLong(
                f"the conversation is {len(tokens)} tokens long; this server's context holds "
                f"{self.context_tokens} (its --context-tokens)"
            )
        return PreparedPrompt(tuple(tokens), prompt.stop, tuple(messages))

    def start(self, prompt: PreparedPrompt, sampling: Sampling) -> Generation:
        """Queue a reply; call from the event loop, then read `Generation.texts()`."""
        generation = Generation()
        with self._waiting_lock:
            self._waiting += 1
        self._worker.submit(self._run, generation, prompt, sampling)
        return generation

    def close(self) -> None:
        self._worker.shutdown(wait=True, cancel_futures=True)
        self._llama.close()

    # --- On the model's thread ------------------------------------------------------------

    def _run(self, generation: Generation, prompt: PreparedPrompt, sampling: Sampling) -> None:
        with self._waiting_lock:
            self._waiting -= 1
        if generation.cancelled:  # its client left while it waited
            result = GenerationResult("stop", len(prompt.tokens), 0, 0, cancelled=True)
        else:
            try:
                result = self._generate(generation, prompt, sampling)
            except Exception as error:
                logger.exception("generation failed")
                self._keep_first(0)  # the live context may hold anything now
                generation.fail(error)
                return
        self._count(result)
        generation.finish(result)
        # Reading ahead is for a model with nothing else to do: a waiting reply goes first.
        idle = self._waiting == 0
        if idle and not result.cancelled and self._read_ahead(prompt, result.text):
            self._save_live_state()
            self.stats.read_aheads += 1
        self._headroom.waiting_starts()

    def _generate(
        self, generation: Generation, prompt: PreparedPrompt, sampling: Sampling
    ) -> GenerationResult:
        cached = self._reuse_start_of(prompt.tokens)
        watch = _ReplyWatch(generation, sampling.length)
        # Only a batch of tokens (the prompt, a read-ahead) runs on the batch threads.
        threads = self._headroom.threads
        prompt_threads = threads if self._waiting else self._headroom.prompt_threads()
        llama_cpp.llama_set_n_threads(self._llama.ctx, threads, prompt_threads)
        self.stats.widened_prompts += prompt_threads > threads
        stream = cast(
            Generator[CreateCompletionStreamResponse, None, None],
            self._llama.create_completion(
                list(prompt.tokens),
                max_tokens=min(sampling.max_tokens, self.context_tokens - len(prompt.tokens)),
                temperature=sampling.temperature,
                top_p=sampling.top_p,
                top_k=TOP_K,
                min_p=MIN_P,
                repeat_penalty=REPEAT_PENALTY,
                presence_penalty=sampling.presence_penalty,
                frequency_penalty=sampling.frequency_penalty,
                stop=[*prompt.stop, *sampling.stop],
                seed=sampling.seed,
                stream=True,
                stopping_criteria=StoppingCriteriaList([watch]),
            ),
        )
        text: list[str] = []
        finish_reason: FinishReason = "length"
        try:
            for chunk in stream:
                choice = chunk["choices"][0]
                if choice["text"]:
                    text.append(choice["text"])
                    watch.written(choice["text"])
                    generation.emit(choice["text"])
                if choice["finish_reason"] is not None:
                    finish_reason = choice["finish_reason"]
        finally:
            stream.close()
            llama_cpp.llama_set_n_threads(self._llama.ctx, threads, threads)
            self._save_live_state()
        written = self._llama.tokenize("".join(text).encode(), add_bos=False) if text else []
        return GenerationResult(
            "length" if watch.long_enough else finish_reason,
            len(prompt.tokens),
            cached,
            len(written),
            cancelled=watch.cancelled,
            text="".join(text),
            prompt_threads=prompt_threads,
        )

    def _read_ahead(self, prompt: PreparedPrompt, reply: str) -> bool:
        """Compute the opening of the user's next turn after `reply`, if the live context
        holds the conversation as the next request will send it; True if it did."""
        if not prompt.messages:
            return False
        after = [
            *prompt.messages,
            RequestMessage(role="assistant", content=reply),
            RequestMessage(role="user", content=_NEXT_TURN_MARK),
        ]
        try:
            text = self._template.render(after).text
        except InvalidConversation:
            return False
        opening, found, _ = text.partition(_NEXT_TURN_MARK)
        if not found:
            return False
        tokens = self._llama.tokenize(opening.encode(), add_bos=False, special=True)
        llama = self._llama
        live = llama.input_ids[: llama.n_tokens].tolist()
        ahead = tokens[len(live) :]
        if tokens[: len(live)] != live or not 0 < len(ahead) <= READ_AHEAD_MAX_TOKENS:
            return False  # the next request will not start with what the context holds
        try:
            llama.eval(ahead)
        except Exception:
            logger.exception("reading ahead failed")
            self._keep_first(len(live))
            return False
        return True

    def _reuse_start_of(self, prompt: Sequence[int]) -> int:
        """Set the live context up to hold the longest available start of `prompt`;
        returns how many of its tokens are kept (llama-cpp-python computes the rest)."""
        llama = self._llama
        plan = self._cache.plan(llama.input_ids[: llama.n_tokens].tolist(), prompt)
        if plan.restore is not None and not self._restore(plan.restore):
            return self._keep_first(0)
        return self._keep_first(plan.reuse)

    def _restore(self, saved: SavedState[_State]) -> bool:
        llama = self._llama
        loaded = llama_cpp.llama_state_seq_set_data(llama.ctx, saved.state, saved.size, 0)
        if loaded != saved.size:
            logger.warning("could not restore a saved prompt state; computing it again")
            return False
        llama.input_ids[: len(saved.tokens)] = saved.tokens
        llama.n_tokens = len(saved.tokens)
        return True

    def _keep_first(self, count: int) -> int:
        llama = self._llama
        memory = llama_cpp.llama_get_memory(llama.ctx)
        if count > 0 and llama_cpp.llama_memory_seq_rm(memory, -1, count, -1):
            llama.n_tokens = count
            return count
        # Nothing to keep, or a model whose memory cannot be cut (recurrent ones).
        llama_cpp.llama_memory_clear(memory, True)
        llama.n_tokens = 0
        return 0

    def _save_live_state(self) -> None:
        llama = self._llama
        if llama.n_tokens == 0 or self._cache.budget_bytes == 0:
            return
        size = llama_cpp.llama_state_seq_get_size(llama.ctx, 0)
        state = (ctypes.c_uint8 * size)()
        if llama_cpp.llama_state_seq_get_data(llama.ctx, state, size, 0) == size:
            self._cache.save(llama.input_ids[: llama.n_tokens].tolist(), state, size)

    def _count(self, result: GenerationResult) -> None:
        stats = self.stats
        stats.replies += 1
        stats.cancelled += result.cancelled
        stats.prompt_tokens += result.prompt_tokens
        stats.cached_tokens += result.cached_tokens
        stats.completion_tokens += result.completion_tokens
        logger.info(
            "reply %d: %d prompt tokens (%d reused, read on %d thread%s), %d written%s",
            stats.replies,
            result.prompt_tokens,
            result.cached_tokens,
            result.prompt_threads,
            "" if result.prompt_threads == 1 else "s",
            result.completion_tokens,
            ", stopped: its client left" if result.cancelled else "",
        )

    def _token_text(self, token: int) -> str:
        if token < 0:
            return ""
        return self._llama.detokenize([token], special=True).decode("utf-8", errors="replace")


class _ReplyWatch:
    """llama-cpp-python asks before handing over each new token whether to stop: yes once
    the client left, or once the reply is long enough (`ReplyLength`)."""

    def __init__(self, generation: Generation, length: ReplyLength | None) -> None:
        self._generation = generation
        self._length = length
        self._tokens = 0  # handed over so far
        self._tail = ""  # the end of the text handed over, enough to see a sentence end
        self.cancelled = False
        self.long_enough = False

    def written(self, text: str) -> None:
        self._tail = (self._tail + text)[-_TAIL_CHARS:]

    def __call__(self, _tokens: npt.NDArray[np.intc], _logits: npt.NDArray[np.single]) -> bool:
        if not (self.cancelled or self.long_enough):
            if self._generation.cancelled:
                self.cancelled = True
            elif self._length is not None:
                self.long_enough = self._length.is_complete(self._tail, self._tokens)
            self._tokens += 1
        return self.cancelled or self.long_enough
