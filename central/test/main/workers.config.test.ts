/**
 * PLANTLINK_CENTRAL_WORKERS and the pool it shares out: the default is the machine's cores, a bad value
 * stops the start naming the variable, and N workers together never open more than
 * PLANTLINK_DB_POOL_MAX connections (each at least one).
 */
import { availableParallelism } from "node:os";
import { describe, expect, it } from "vitest";
import { workerPoolShare } from "../../src/cluster/pool-share.ts";
import { loadConfig } from "../../src/config.ts";

describe("PLANTLINK_CENTRAL_WORKERS", () => {
  it("defaults to the cores, and takes a positive whole number", () => {
    expect(loadConfig({}).workers).toBe(availableParallelism());
    expect(loadConfig({ PLANTLINK_CENTRAL_WORKERS: "" }).workers).toBe(availableParallelism());
    expect(loadConfig({ PLANTLINK_CENTRAL_WORKERS: "3" }).workers).toBe(3);
  });

  it("refuses zero, negatives and words, naming the variable", () => {
    for (const bad of ["0", "-2", "many", "1.5"]) {
      expect(() => loadConfig({ PLANTLINK_CENTRAL_WORKERS: bad })).toThrow(/PLANTLINK_CENTRAL_WORKERS/);
    }
  });

  it("shares PLANTLINK_DB_POOL_MAX so the workers together stay within it", () => {
    for (const poolMax of [1, 2, 3, 10, 40]) {
      for (const workers of [1, 2, 3, 4, 8]) {
        const share = workerPoolShare(poolMax, workers);
        expect(share).toBeGreaterThanOrEqual(1);
        if (workers <= poolMax) expect(share * workers).toBeLessThanOrEqual(poolMax);
      }
    }
    expect(workerPoolShare(10, 2)).toBe(5);
    expect(workerPoolShare(10, 1)).toBe(10);
  });
});
