import { describe, expect, it } from "vitest";
import { LoginThrottle, retryAfterSeconds } from "../src/login-throttle.ts";

function clock(start = 1_000_000) {
  let t = start;
  return { now: () => t, advance: (ms: number) => (t += ms) };
}

describe("LoginThrottle", () => {
  it("blocks a key after maxFailures failures within the window, and not before", () => {
    const c = clock();
    const throttle = new LoginThrottle({ maxFailures: 3, windowMs: 10_000, blockMs: 5_000, now: c.now });
    expect(throttle.failure("10.0.0.1")).toBe(0);
    expect(throttle.failure("10.0.0.1")).toBe(0);
    expect(throttle.blockedFor("10.0.0.1")).toBe(0);
    expect(throttle.failure("10.0.0.1")).toBe(5_000);
    expect(throttle.blockedFor("10.0.0.1")).toBe(5_000);
    c.advance(4_999);
    expect(throttle.blockedFor("10.0.0.1")).toBe(1);
    c.advance(1);
    expect(throttle.blockedFor("10.0.0.1")).toBe(0);
  });

  it("does not block another key", () => {
    const c = clock();
    const throttle = new LoginThrottle({ maxFailures: 2, now: c.now });
    throttle.failure("attacker");
    throttle.failure("attacker");
    expect(throttle.blockedFor("attacker")).toBeGreaterThan(0);
    expect(throttle.blockedFor("device")).toBe(0);
  });

  it("forgets failures older than the window", () => {
    const c = clock();
    const throttle = new LoginThrottle({ maxFailures: 3, windowMs: 10_000, now: c.now });
    throttle.failure("k");
    throttle.failure("k");
    c.advance(10_000);
    expect(throttle.failure("k")).toBe(0);
    expect(throttle.failure("k")).toBe(0);
    expect(throttle.failure("k")).toBeGreaterThan(0);
  });

  it("doubles each further block up to maxBlockMs", () => {
    const c = clock();
    const throttle = new LoginThrottle({
      maxFailures: 1,
      blockMs: 1_000,
      maxBlockMs: 5_000,
      now: c.now,
    });
    const blocks: number[] = [];
    for (let i = 0; i < 5; i++) {
      const block = throttle.failure("k");
      blocks.push(block);
      c.advance(block);
    }
    expect(blocks).toEqual([1_000, 2_000, 4_000, 5_000, 5_000]);
  });

  it("clears a key on a successful login", () => {
    const c = clock();
    const throttle = new LoginThrottle({ maxFailures: 3, now: c.now });
    throttle.failure("k");
    throttle.failure("k");
    throttle.success("k");
    expect(throttle.failure("k")).toBe(0);
    expect(throttle.failure("k")).toBe(0);
    expect(throttle.size()).toBe(1);
  });

  it("starts the doubling afresh once a key has been quiet for maxBlockMs", () => {
    const c = clock();
    const throttle = new LoginThrottle({ maxFailures: 1, blockMs: 1_000, maxBlockMs: 8_000, now: c.now });
    expect(throttle.failure("k")).toBe(1_000);
    c.advance(1_000);
    expect(throttle.failure("k")).toBe(2_000);
    c.advance(2_000 + 60_000 + 8_000);
    expect(throttle.failure("k")).toBe(1_000);
  });

  it("keeps at most maxKeys keys, dropping the least recently used", () => {
    const c = clock();
    const throttle = new LoginThrottle({ maxFailures: 2, maxKeys: 100, now: c.now });
    throttle.failure("old");
    throttle.failure("kept");
    for (let i = 0; i < 99; i++) {
      throttle.failure(`spray-${i}`);
      if (i === 50) throttle.failure("kept"); // touched: now recent, and blocked
    }
    expect(throttle.size()).toBe(100);
    expect(throttle.blockedFor("kept")).toBeGreaterThan(0);
    // "old" was dropped: its one failure is forgotten, so one more does not block it.
    expect(throttle.failure("old")).toBe(0);
    for (let i = 0; i < 100_000; i++) throttle.failure(`flood-${i}`);
    expect(throttle.size()).toBe(100);
  });

  it("rounds Retry-After up to whole seconds, at least 1", () => {
    expect(retryAfterSeconds(1)).toBe(1);
    expect(retryAfterSeconds(60_000)).toBe(60);
    expect(retryAfterSeconds(60_001)).toBe(61);
  });
});
