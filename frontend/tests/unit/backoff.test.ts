import { describe, expect, it } from "vitest";

import {
  backoffCeilingMs,
  backoffDelayMs,
  RESUME_MAX_ATTEMPTS,
  RESUME_POLICY,
  SEAT_RETRY_POLICY,
} from "@/lib/backoff";

const policy = { initialDelayMs: 1000, maxDelayMs: 10_000, multiplier: 2 };

describe("backoff", () => {
  it("doubles the ceiling each attempt up to the cap", () => {
    expect([0, 1, 2, 3, 4, 10].map((attempt) => backoffCeilingMs(policy, attempt))).toEqual([
      1000, 2000, 4000, 8000, 10_000, 10_000,
    ]);
  });

  it("waits between half the ceiling and the ceiling", () => {
    expect(backoffDelayMs(policy, 2, () => 0)).toBe(2000);
    expect(backoffDelayMs(policy, 2, () => 0.5)).toBe(3000);
    expect(backoffDelayMs(policy, 2, () => 0.999999)).toBe(4000);
  });

  it("spreads waiting clients apart", () => {
    const delays = new Set(Array.from({ length: 20 }, () => backoffDelayMs(policy, 3)));
    expect(delays.size).toBeGreaterThan(1);
  });

  it("never retries in a hot loop, and a full server is asked at most every 30 s", () => {
    expect(backoffDelayMs(SEAT_RETRY_POLICY, 0, () => 0)).toBeGreaterThanOrEqual(500);
    expect(backoffCeilingMs(SEAT_RETRY_POLICY, 100)).toBe(30_000);
  });

  it("a dropped conversation is retried soon, then every second, for about 15 s", () => {
    expect(backoffDelayMs(RESUME_POLICY, 0, () => 0.999999)).toBeLessThanOrEqual(250);
    expect(backoffDelayMs(RESUME_POLICY, 0, () => 0)).toBeGreaterThanOrEqual(100);
    const longest = Array.from({ length: RESUME_MAX_ATTEMPTS }, (_, attempt) =>
      backoffCeilingMs(RESUME_POLICY, attempt),
    ).reduce((sum, delay) => sum + delay, 0);
    expect(longest).toBeGreaterThan(10_000);
    expect(longest).toBeLessThan(20_000);
  });
});
