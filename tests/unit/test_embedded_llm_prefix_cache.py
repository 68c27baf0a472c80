"""Saved prompt states: the longest shared start wins, redundant states go, the budget holds."""

from __future__ import annotations

import pytest

from embedded.llm.prefix_cache import PrefixCache, shared_prefix

SYSTEM = (1, 2, 3, 4, 5)


def test_shared_prefix_counts_the_common_start() -> None:
    assert shared_prefix([1, 2, 3], [1, 2, 4]) == 2
    assert shared_prefix([1, 2], [1, 2, 3]) == 2
    assert shared_prefix([], [1]) == 0
    assert shared_prefix([9], [1]) == 0


def test_with_nothing_saved_the_live_context_is_kept_as_far_as_it_matches() -> None:
    cache: PrefixCache[str] = PrefixCache(budget_bytes=100)
    plan = cache.plan(live=[*SYSTEM, 6, 7], prompt=[*SYSTEM, 8, 9])
    assert plan.restore is None and plan.reuse == len(SYSTEM)


def test_the_last_prompt_token_is_always_computed_again() -> None:
    cache: PrefixCache[str] = PrefixCache(budget_bytes=100)
    assert cache.plan(live=[*SYSTEM, 6], prompt=SYSTEM).reuse == len(SYSTEM) - 1
    assert cache.plan(live=SYSTEM, prompt=SYSTEM).reuse == len(SYSTEM) - 1
    assert cache.plan(live=[], prompt=[1]).reuse == 0


def test_a_saved_state_is_restored_when_it_shares_more_than_the_live_context() -> None:
    cache: PrefixCache[str] = PrefixCache(budget_bytes=100)
    cache.save([*SYSTEM, 10, 11, 12], "conversation A", size=10)
    other_conversation = [*SYSTEM, 20, 21]
    plan = cache.plan(live=other_conversation, prompt=[*SYSTEM, 10, 11, 12, 13])
    assert plan.restore is not None and plan.restore.state == "conversation A"
    assert plan.reuse == len(SYSTEM) + 3


def test_the_live_context_wins_a_tie() -> None:
    cache: PrefixCache[str] = PrefixCache(budget_bytes=100)
    cache.save([*SYSTEM, 10], "saved", size=10)
    plan = cache.plan(live=[*SYSTEM, 20], prompt=[*SYSTEM, 30, 31])
    assert plan.restore is None and plan.reuse == len(SYSTEM)


def test_the_best_of_several_saved_states_is_chosen() -> None:
    cache: PrefixCache[str] = PrefixCache(budget_bytes=100)
    cache.save([1, 2, 9], "short", size=10)
    cache.save([1, 2, 3, 4, 9], "long", size=10)
    cache.save([7, 7, 7, 7, 7, 7], "unrelated", size=10)
    plan = cache.plan(live=[], prompt=[1, 2, 3, 4, 5, 6])
    assert plan.restore is not None and plan.restore.state == "long"
    assert plan.reuse == 4


def test_a_state_that_extends_a_saved_one_replaces_it() -> None:
    cache: PrefixCache[str] = PrefixCache(budget_bytes=100)
    cache.save([*SYSTEM, 10], "turn 1", size=10)
    cache.save([*SYSTEM, 10, 11, 12], "turn 2", size=20)
    assert len(cache) == 1 and cache.bytes_used == 20


def test_a_state_already_covered_by_a_saved_one_is_not_kept_twice() -> None:
    cache: PrefixCache[str] = PrefixCache(budget_bytes=100)
    cache.save([*SYSTEM, 10, 11, 12], "longer", size=20)
    cache.save([*SYSTEM, 10], "shorter", size=10)
    assert len(cache) == 1
    plan = cache.plan(live=[], prompt=[*SYSTEM, 10, 99])
    assert plan.restore is not None and plan.restore.state == "longer"


def test_the_least_recently_used_state_goes_first_when_over_budget() -> None:
    cache: PrefixCache[str] = PrefixCache(budget_bytes=30)
    cache.save([1, 1], "a", size=10)
    cache.save([2, 2], "b", size=10)
    cache.save([3, 3], "c", size=10)
    cache.plan(live=[], prompt=[1, 1, 5])  # "a" is used again: "b" is now the oldest
    cache.save([4, 4], "d", size=10)
    assert cache.bytes_used == 30
    kept = {cache.plan(live=[], prompt=[n, n, 5]).restore is not None for n in (1, 3, 4)}
    assert kept == {True}
    assert cache.plan(live=[], prompt=[2, 2, 5]).restore is None


def test_a_state_bigger_than_the_budget_is_not_kept() -> None:
    cache: PrefixCache[str] = PrefixCache(budget_bytes=30)
    cache.save([1, 1], "a", size=10)
    cache.save([2, 2], "huge", size=31)
    assert len(cache) == 1 and cache.bytes_used == 10


def test_a_zero_budget_keeps_nothing_and_a_negative_one_is_refused() -> None:
    cache: PrefixCache[str] = PrefixCache(budget_bytes=0)
    cache.save([1, 2], "a", size=1)
    assert len(cache) == 0
    with pytest.raises(ValueError, match="negative"):
        PrefixCache(budget_bytes=-1)
