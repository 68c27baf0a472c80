/** Exponential backoff with jitter, so that waiting browsers do not retry in lockstep. */

export interface BackoffPolicy {
  initialDelayMs: number;
  maxDelayMs: number;
  multiplier: number;
}

export const SEAT_RETRY_POLICY: BackoffPolicy = {
  // A conversation seat frees when someone hangs up: retrying within a second or two is
  // worth it, while a 30 s cap keeps a full server from being hammered by waiting pages.
  initialDelayMs: 1_000,
  maxDelayMs: 30_000,
  multiplier: 2,
};

export const RESUME_POLICY: BackoffPolicy = {
  // A dropped conversation comes back within a few seconds when a server (this one
  // restarted, or another behind the load balancer) answers: retry soon, then every second.
  initialDelayMs: 250,
  maxDelayMs: 1_000,
  multiplier: 2,
};
// About 15 s of trying: longer than a server takes to restart, short enough to say so.
export const RESUME_MAX_ATTEMPTS = 16;

/** The ceiling of the wait before retry number `attempt` (0 for the first retry). */
export function backoffCeilingMs(policy: BackoffPolicy, attempt: number): number {
  const ceiling = policy.initialDelayMs * policy.multiplier ** Math.max(0, attempt);
  return Math.min(policy.maxDelayMs, ceiling);
}

/** A random wait in [ceiling/2, ceiling]: jittered, yet never a hot loop. */
export function backoffDelayMs(
  policy: BackoffPolicy,
  attempt: number,
  random: () => number = Math.random,
): number {
  const ceiling = backoffCeilingMs(policy, attempt);
  return Math.round(ceiling / 2 + random() * (ceiling / 2));
}
