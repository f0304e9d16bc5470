/**
 * Capped exponential backoff with full jitter: the delay before retry n is uniform in
 * [0, min(cap, base · 2^n)]. Full jitter (rather than ±10 %) matters when a central restart fails every
 * edge at the same instant: hundreds of edges retrying on the same schedule would hit it in waves.
 */

export interface BackoffOptions {
  baseMs: number;
  capMs: number;
  /** Uniform in [0, 1); injected so tests are deterministic. */
  random: () => number;
}

export interface Backoff {
  /** The delay before the next attempt, counting this failure. */
  next(): number;
  /** After a success: the next failure starts again from the base. */
  reset(): void;
  /** Consecutive failures since the last success. */
  attempts(): number;
}

export function createBackoff(options: BackoffOptions): Backoff {
  let failures = 0;
  return {
    next() {
      // 2^failures overflows to Infinity long after the cap is reached; min() keeps it finite.
      const ceiling = Math.min(options.capMs, options.baseMs * 2 ** failures);
      failures += 1;
      return Math.floor(options.random() * ceiling);
    },
    reset() {
      failures = 0;
    },
    attempts: () => failures,
  };
}
