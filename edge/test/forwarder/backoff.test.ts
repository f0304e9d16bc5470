import { describe, expect, it } from "vitest";
import { createBackoff } from "../../src/forwarder/backoff.ts";
import { createRetryGate } from "../../src/forwarder/retry.ts";

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

describe("retry gate", () => {
  it("counts batches cut by one outage as one failure, pauses, then probes one batch at a time", () => {
    let now = 1000;
    const gate = createRetryGate({ baseMs: 100, capMs: 10_000, random: () => 0.999999, now: () => now });
    expect(gate.allowance(4)).toBe(4);
    const stamps = [gate.stamp(), gate.stamp(), gate.stamp()]; // three batches in flight
    expect(gate.failed(stamps[0])).toBe(true);
    expect(gate.failed(stamps[1])).toBe(false);
    expect(gate.failed(stamps[2])).toBe(false);
    expect(gate.attempts()).toBe(1);
    expect(gate.waitMs()).toBe(99);
    expect(gate.allowance(4)).toBe(1);
    now += 99;
    expect(gate.waitMs()).toBe(0);
    // The probe fails too: a new failure, a longer pause.
    expect(gate.failed(gate.stamp())).toBe(true);
    expect(gate.waitMs()).toBe(199);
    gate.succeeded();
    expect(gate.allowance(4)).toBe(4);
    expect(gate.probing()).toBe(false);
    // A refusal a person must fix waits the longest delay.
    gate.refused();
    expect(gate.waitMs()).toBe(10_000);
  });
});
