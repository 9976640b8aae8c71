// Retry policy of the Fly client: which failures are retried, and how long to wait. Pure functions.

export interface RetryPolicy {
  /** Attempts in all, the first included. */
  maxAttempts: number;
  /** No retry is started once this much time has passed since the first attempt. */
  maxTotalMs: number;
  /** First backoff step; doubles each retry up to maxDelayMs, then jittered. */
  baseDelayMs: number;
  maxDelayMs: number;
}

export const DEFAULT_RETRY_POLICY: RetryPolicy = {
  maxAttempts: 5,
  maxTotalMs: 60_000,
  baseDelayMs: 250,
  maxDelayMs: 8_000,
};

export type AttemptOutcome =
  | { kind: "status"; status: number; retryAfterHeader: string | null }
  | { kind: "network" };

/**
 * Whether an outcome may be retried. 429 means Fly refused before doing anything, so it is always safe;
 * 5xx and network failures may have left the call half-done, so only idempotent calls repeat.
 */
export function isRetryable(outcome: AttemptOutcome, idempotent: boolean): boolean {
  if (outcome.kind === "network") return idempotent;
  if (outcome.status === 429) return true;
  return outcome.status >= 500 && outcome.status <= 599 && idempotent;
}

/** Parses `Retry-After` (delta seconds or an HTTP date) into milliseconds; undefined when absent or unreadable. */
export function parseRetryAfterMs(header: string | null, nowMs: number): number | undefined {
  if (header === null || header.trim() === "") return undefined;
  const trimmed = header.trim();
  if (/^\d+(\.\d+)?$/.test(trimmed)) return Math.round(Number(trimmed) * 1000);
  const date = Date.parse(trimmed);
  if (Number.isNaN(date)) return undefined;
  return Math.max(0, date - nowMs);
}

/** Capped exponential backoff with "equal jitter": between half and all of the step, never zero. */
export function backoffDelayMs(retryIndex: number, policy: RetryPolicy, random: () => number): number {
  const step = Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** retryIndex);
  return Math.round(step / 2 + (random() * step) / 2);
}

/** The wait before the next attempt: Fly's Retry-After when it gave one, else the backoff. */
export function nextDelayMs(
  outcome: AttemptOutcome,
  retryIndex: number,
  policy: RetryPolicy,
  nowMs: number,
  random: () => number,
): number {
  if (outcome.kind === "status" && outcome.status === 429) {
    const fromHeader = parseRetryAfterMs(outcome.retryAfterHeader, nowMs);
    if (fromHeader !== undefined) return fromHeader;
  }
  return backoffDelayMs(retryIndex, policy, random);
}
