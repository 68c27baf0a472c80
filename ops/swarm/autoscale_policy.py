"""When to add or remove replicas, from the share of capacity in use: a pure rule.

Up early, down slowly. A new backend or speech task takes tens of seconds to serve, so
replicas are added while some headroom remains; they are removed only after several calm
readings in a row, and only when the remaining replicas would still sit below the
scale-up threshold, so a removal never triggers an immediate re-add (hysteresis)."""

from __future__ import annotations

import math
from dataclasses import dataclass


@dataclass(frozen=True)
class Bounds:
    minimum: int
    maximum: int

    def __post_init__(self) -> None:
        if not 0 <= self.minimum <= self.maximum:
            raise ValueError(f"bounds must satisfy 0 <= min <= max, got {self}")


@dataclass(frozen=True)
class Policy:
    # Above this share of seats in use, add replicas: the rest absorbs arrivals while the
    # new tasks start.
    scale_up_at: float = 0.75
    # Below this share, the service is calm enough to consider removing a replica.
    scale_down_at: float = 0.4
    # Calm readings in a row before removing one: a lull between bursts is not a trend.
    calm_readings: int = 3

    def __post_init__(self) -> None:
        if not 0 < self.scale_down_at < self.scale_up_at <= 1:
            raise ValueError("need 0 < scale_down_at < scale_up_at <= 1")
        if self.calm_readings < 1:
            raise ValueError("calm_readings must be at least 1")


@dataclass(frozen=True)
class Reading:
    replicas: int  # wanted now
    in_use: int  # conversations (or speech streams) in progress, all tasks together
    capacity: int  # seats (or slots) of the tasks that reported
    reporting: int  # tasks that reported, to know the capacity of one


@dataclass(frozen=True)
class Decision:
    target: int
    reason: str
    calm_streak: int  # carry into the next reading

    def changes(self, replicas: int) -> bool:
        return self.target != replicas


def decide(reading: Reading, bounds: Bounds, policy: Policy, calm_streak: int) -> Decision:
    replicas = reading.replicas
    if replicas < bounds.minimum:
        return Decision(bounds.minimum, "below the minimum", 0)
    if replicas > bounds.maximum:
        return Decision(bounds.maximum, "above the maximum", 0)
    if reading.reporting == 0 or reading.capacity == 0:
        return Decision(replicas, "no capacity reported: holding", 0)
    per_task = reading.capacity / reading.reporting
    share = reading.in_use / (per_task * replicas)
    if share > policy.scale_up_at:
        needed = math.ceil(reading.in_use / (per_task * policy.scale_up_at))
        target = min(bounds.maximum, max(replicas + 1, needed))
        if target == replicas:
            return Decision(replicas, f"{share:.0%} in use, already at the maximum", 0)
        return Decision(target, f"{share:.0%} in use", 0)
    if share >= policy.scale_down_at:
        return Decision(replicas, f"{share:.0%} in use: steady", 0)
    streak = calm_streak + 1
    fewer = replicas - 1
    if fewer < max(bounds.minimum, 1):
        return Decision(replicas, f"{share:.0%} in use, at the minimum", streak)
    if reading.in_use / (per_task * fewer) > policy.scale_up_at:
        return Decision(replicas, f"{share:.0%} in use, but one less would be too full", streak)
    if streak < policy.calm_readings:
        calm = f"calm {streak}/{policy.calm_readings}"
        return Decision(replicas, f"{share:.0%} in use ({calm})", streak)
    return Decision(fewer, f"{share:.0%} in use for {streak} readings", 0)
