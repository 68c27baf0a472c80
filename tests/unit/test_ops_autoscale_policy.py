"""The autoscaler's rule: up early, down slowly, never outside the bounds, no flapping."""

from __future__ import annotations

import pytest

from ops.swarm.autoscale_policy import Bounds, Policy, Reading, decide

POLICY = Policy(scale_up_at=0.75, scale_down_at=0.4, calm_readings=3)
BOUNDS = Bounds(minimum=1, maximum=10)


def reading(replicas: int, in_use: int, seats: int = 4) -> Reading:
    return Reading(replicas=replicas, in_use=in_use, capacity=seats * replicas, reporting=replicas)


def test_bounds_win_over_load() -> None:
    assert decide(reading(0, 0), Bounds(2, 5), POLICY, 0).target == 2
    assert decide(reading(7, 28), Bounds(1, 5), POLICY, 0).target == 5


def test_adds_enough_replicas_for_the_load_with_headroom() -> None:
    decision = decide(reading(2, 7), BOUNDS, POLICY, 0)  # 7 of 8 seats
    assert decision.target == 3  # 7 / (4 × 0.75) → 3 backends
    assert decide(reading(2, 8), BOUNDS, POLICY, 0).target == 3
    assert decide(reading(1, 4), BOUNDS, POLICY, 0).target == 2


def test_never_adds_past_the_maximum() -> None:
    decision = decide(reading(10, 40), BOUNDS, POLICY, 0)
    assert decision.target == 10 and "maximum" in decision.reason


def test_steady_load_changes_nothing_and_resets_the_calm_streak() -> None:
    decision = decide(reading(4, 8), BOUNDS, POLICY, calm_streak=2)  # 50 %
    assert decision.target == 4 and decision.calm_streak == 0


def test_removes_one_only_after_enough_calm_readings() -> None:
    streak = 0
    for _ in range(POLICY.calm_readings - 1):
        decision = decide(reading(4, 2), BOUNDS, POLICY, streak)
        assert decision.target == 4
        streak = decision.calm_streak
    decision = decide(reading(4, 2), BOUNDS, POLICY, streak)
    assert decision.target == 3 and decision.calm_streak == 0


def test_does_not_remove_a_replica_it_would_have_to_add_back() -> None:
    # 3 of 8 seats (37 %) is calm. One backend fewer leaves 3 of 4 seats (75 %): fine when
    # scaling up starts above 75 %, not when it starts above 50 %.
    assert decide(reading(2, 3, seats=4), BOUNDS, Policy(calm_readings=1), 0).target == 1
    tight = Policy(scale_up_at=0.5, scale_down_at=0.4, calm_readings=1)
    decision = decide(reading(2, 3, seats=4), BOUNDS, tight, 0)  # 1 backend: 75 % > 50 %
    assert decision.target == 2 and "too full" in decision.reason


def test_never_below_one_replica_or_the_minimum() -> None:
    assert decide(reading(1, 0), Bounds(0, 3), Policy(calm_readings=1), 0).target == 1
    assert decide(reading(2, 0), Bounds(2, 3), Policy(calm_readings=1), 0).target == 2


def test_holds_when_nothing_reports_capacity() -> None:
    blind = Reading(replicas=3, in_use=0, capacity=0, reporting=0)
    decision = decide(blind, BOUNDS, POLICY, 2)
    assert decision.target == 3 and "no capacity" in decision.reason


def test_nonsensical_settings_are_refused() -> None:
    with pytest.raises(ValueError):
        Bounds(3, 2)
    with pytest.raises(ValueError):
        Policy(scale_up_at=0.4, scale_down_at=0.6)
