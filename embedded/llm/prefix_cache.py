"""Saved model states, keyed by the tokens they hold and found by the longest shared prefix.

llama.cpp computes a prompt into one live context. Conversations served in turn would
each evict the other's and pay for their whole prompt again; so after each generation
the engine saves the context's state here, and before the next one it restores the saved
state that shares the longest start with the new prompt, when that beats what the live
context shares already. A conversation's earlier turns, and the system prompt that
conversations share, are then computed once. States are dropped least recently used
first, within a byte budget.

Pure bookkeeping: the states themselves are opaque (`T`), with their size in bytes.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Generic, TypeVar

T = TypeVar("T")


def shared_prefix(a: Sequence[int], b: Sequence[int]) -> int:
    """How many tokens `a` and `b` share from their start."""
    count = 0
    for x, y in zip(a, b, strict=False):
        if x != y:
            break
        count += 1
    return count


@dataclass(frozen=True)
class SavedState(Generic[T]):
    tokens: tuple[int, ...]
    state: T
    size: int  # bytes


@dataclass(frozen=True)
class ReusePlan(Generic[T]):
    """Restore `restore` first (None: keep the live context), then keep the first
    `reuse` tokens of the prompt and compute the rest."""

    restore: SavedState[T] | None
    reuse: int


class PrefixCache(Generic[T]):
    def __init__(self, budget_bytes: int) -> None:
        if budget_bytes < 0:
            raise ValueError("the prompt cache budget cannot be negative")
        self.budget_bytes = budget_bytes
        self._saved: OrderedDict[tuple[int, ...], SavedState[T]] = OrderedDict()

    def __len__(self) -> int:
        return len(self._saved)

    @property
    def bytes_used(self) -> int:
        return sum(saved.size for saved in self._saved.values())

    def plan(self, live: Sequence[int], prompt: Sequence[int]) -> ReusePlan[T]:
        """How to start computing `prompt` when the live context holds `live`."""
        best: SavedState[T] | None = None
        best_reuse = _usable(shared_prefix(live, prompt), prompt)
        for saved in self._saved.values():
            reuse = _usable(shared_prefix(saved.tokens, prompt), prompt)
            if reuse > best_reuse:
                best, best_reuse = saved, reuse
        if best is not None:
            self._saved.move_to_end(best.tokens)
        return ReusePlan(best, best_reuse)

    def save(self, tokens: Sequence[int], state: T, size: int) -> None:
        """Keep `state`, which holds `tokens`; states it makes redundant are dropped."""
        key = tuple(tokens)
        if not key or size > self.budget_bytes:
            return
        for other in list(self._saved):
            if other[: len(key)] == key:
                # An existing state holds these tokens and more: it already serves them.
                self._saved.move_to_end(other)
                return
            if key[: len(other)] == other:
                del self._saved[other]
        self._saved[key] = SavedState(key, state, size)
        while self.bytes_used > self.budget_bytes:
            self._saved.popitem(last=False)


def _usable(shared: int, prompt: Sequence[int]) -> int:
    # The prompt's last token is always computed again: its output picks the first token
    # of the reply.
    return max(0, min(shared, len(prompt) - 1))
