// Bounds on what one sender, or one holder of the relay token, can make the relay do. In memory:
// a restart refills them, which is acceptable for limits whose job is to stop floods, not bill.

/** A token bucket per key: `burst` at once, then one more every `refillMs`. */
export class RateLimiter {
  private readonly buckets = new Map<string, { tokens: number; at: number }>();

  constructor(
    private readonly burst: number,
    private readonly refillMs: number,
    private readonly now: () => number = Date.now,
  ) {}

  /** Takes `count` tokens if there are that many; false (taking none) otherwise. */
  take(key: string, count = 1): boolean {
    const bucket = this.refill(key);
    if (bucket.tokens < count) return false;
    bucket.tokens -= count;
    return true;
  }

  /** Milliseconds until `count` tokens are there. */
  waitMs(key: string, count = 1): number {
    const bucket = this.refill(key);
    return bucket.tokens >= count ? 0 : Math.ceil((count - bucket.tokens) * this.refillMs);
  }

  private refill(key: string): { tokens: number; at: number } {
    const now = this.now();
    const bucket = this.buckets.get(key) ?? { tokens: this.burst, at: now };
    bucket.tokens = Math.min(this.burst, bucket.tokens + (now - bucket.at) / this.refillMs);
    bucket.at = now;
    this.buckets.set(key, bucket);
    return bucket;
  }
}

/**
 * A budget of bytes shared by requests in flight (callback bodies): a request waits until its
 * declared size fits, so the relay never holds more than `capacity` bytes of bodies at once.
 */
export class ByteBudget {
  private used = 0;
  private readonly queue: { bytes: number; grant: () => void }[] = [];

  constructor(readonly capacity: number) {}

  async acquire(bytes: number): Promise<() => void> {
    const wanted = Math.min(bytes, this.capacity);
    if (this.queue.length > 0 || this.used + wanted > this.capacity) {
      await new Promise<void>((grant) => this.queue.push({ bytes: wanted, grant }));
    } else {
      this.used += wanted;
    }
    let released = false;
    return () => {
      if (released) return;
      released = true;
      this.used -= wanted;
      this.pump();
    };
  }

  private pump(): void {
    while (this.queue.length > 0) {
      const head = this.queue[0];
      if (!head || this.used + head.bytes > this.capacity) return;
      this.queue.shift();
      this.used += head.bytes;
      head.grant();
    }
  }
}
