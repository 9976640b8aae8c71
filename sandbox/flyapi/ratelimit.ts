// Fly-like rate limits: a token bucket per action per app (mutations ~1/s burst 3, reads ~5/s burst 10).
export interface BucketRule {
  perSecond: number;
  burst: number;
}

export const MUTATION_RULE: BucketRule = { perSecond: 1, burst: 3 };
export const READ_RULE: BucketRule = { perSecond: 5, burst: 10 };

interface Bucket {
  tokens: number;
  at: number;
}

export class RateLimiter {
  enabled = false;
  readonly #buckets = new Map<string, Bucket>();

  constructor(private readonly now: () => number = Date.now) {}

  /** 0 when allowed (and a token is taken), else the whole seconds to wait before retrying. */
  take(key: string, rule: BucketRule): number {
    if (!this.enabled) return 0;
    const now = this.now();
    const bucket = this.#buckets.get(key) ?? { tokens: rule.burst, at: now };
    bucket.tokens = Math.min(rule.burst, bucket.tokens + ((now - bucket.at) / 1000) * rule.perSecond);
    bucket.at = now;
    this.#buckets.set(key, bucket);
    if (bucket.tokens >= 1) {
      bucket.tokens -= 1;
      return 0;
    }
    return Math.max(1, Math.ceil((1 - bucket.tokens) / rule.perSecond));
  }

  reset(): void {
    this.#buckets.clear();
  }
}

/** A small seeded generator (mulberry32), so a fault run with a seed fails the same requests every time. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
