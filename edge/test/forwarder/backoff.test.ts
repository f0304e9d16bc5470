import { describe, expect, it } from "vitest";
import { createBackoff } from "../../src/forwarder/backoff.ts";

describe("backoff", () => {
  it("grows exponentially to the cap with full jitter, and starts over after a success", () => {
    const top = createBackoff({ baseMs: 100, capMs: 5000, random: () => 0.999999 });
    const ceilings = Array.from({ length: 10 }, () => top.next());
    expect(ceilings).toEqual([99, 199, 399, 799, 1599, 3199, 4999, 4999, 4999, 4999]);
    expect(top.attempts()).toBe(10);
    top.reset();
    expect(top.next()).toBe(99);

    // Full jitter: the whole range down to 0 is used, so simultaneous failures spread out.
    const bottom = createBackoff({ baseMs: 100, capMs: 5000, random: () => 0 });
    expect(Array.from({ length: 5 }, () => bottom.next())).toEqual([0, 0, 0, 0, 0]);
  });

  it("stays finite after thousands of failures (a week-long outage)", () => {
    const backoff = createBackoff({ baseMs: 500, capMs: 60_000, random: () => 0.5 });
    let last = 0;
    for (let i = 0; i < 5000; i++) last = backoff.next();
    expect(last).toBe(30_000);
  });
});
