import { describe, expect, it } from "vitest";
import { MUTATION_RULE, RateLimiter, READ_RULE, seededRandom } from "./ratelimit";

describe("RateLimiter", () => {
  it("lets nothing through the limit when off", () => {
    const limiter = new RateLimiter(() => 0);
    for (let i = 0; i < 100; i++) expect(limiter.take("a", MUTATION_RULE)).toBe(0);
  });

  it("allows the burst, then asks to wait whole seconds, and refills with time", () => {
    let now = 1_000_000;
    const limiter = new RateLimiter(() => now);
    limiter.enabled = true;
    expect([1, 2, 3].map(() => limiter.take("app create", MUTATION_RULE))).toEqual([0, 0, 0]);
    expect(limiter.take("app create", MUTATION_RULE)).toBe(1);
    // Another action (or app) has its own bucket.
    expect(limiter.take("app update", MUTATION_RULE)).toBe(0);
    now += 1000;
    expect(limiter.take("app create", MUTATION_RULE)).toBe(0);
    expect(limiter.take("app create", MUTATION_RULE)).toBe(1);
    for (let i = 0; i < 10; i++) expect(limiter.take("app get", READ_RULE)).toBe(0);
    expect(limiter.take("app get", READ_RULE)).toBe(1);
    now += 200;
    expect(limiter.take("app get", READ_RULE)).toBe(0);
  });
});

describe("seededRandom", () => {
  it("repeats for a seed and differs between seeds", () => {
    const a = seededRandom(7);
    const b = seededRandom(7);
    const c = seededRandom(8);
    const first = [a(), a(), a()];
    expect([b(), b(), b()]).toEqual(first);
    expect([c(), c(), c()]).not.toEqual(first);
    for (const x of first) expect(x >= 0 && x < 1).toBe(true);
  });
});
