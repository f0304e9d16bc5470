/**
 * When the forwarder may send, after failures: a failure pauses sending for a backoff delay, then
 * one batch at a time probes until one succeeds, which restores full concurrency. Batches that were
 * already in flight when the first failure came and fail too belong to the same outage: they do not
 * push the backoff further (otherwise 4 batches cut by one outage would jump 4 steps at once).
 */
import { createBackoff } from "./backoff.ts";

export interface RetryGate {
  /** Batches that may be in flight now: `max`, or 1 while probing. */
  allowance(max: number): number;
  /** Milliseconds until sending may resume; 0 when it may now. */
  waitMs(): number;
  /** Stamp for a batch being sent, to tell later whether its failure is a new outage. */
  stamp(): number;
  /** A failure worth retrying; returns false when it belongs to an outage already counted. */
  failed(stamp: number | undefined, retryAfterMs?: number): boolean;
  /** A failure retrying soon will not fix (a person must act): pause for the longest delay. */
  refused(): void;
  succeeded(): void;
  probing(): boolean;
  attempts(): number;
  nextAttemptAt(): number;
}

export function createRetryGate(options: {
  baseMs: number;
  capMs: number;
  random: () => number;
  now: () => number;
}): RetryGate {
  const backoff = createBackoff({ baseMs: options.baseMs, capMs: options.capMs, random: options.random });
  let probing = false;
  let pausedUntil = 0;
  let epoch = 0;
  return {
    allowance: (max) => (probing ? 1 : max),
    waitMs: () => Math.max(0, pausedUntil - options.now()),
    stamp: () => epoch,
    failed(stamp, retryAfterMs) {
      if (stamp !== undefined && stamp < epoch) return false;
      epoch += 1;
      probing = true;
      pausedUntil = options.now() + Math.max(backoff.next(), retryAfterMs ?? 0);
      return true;
    },
    refused() {
      epoch += 1;
      probing = true;
      pausedUntil = options.now() + options.capMs;
    },
    succeeded() {
      backoff.reset();
      probing = false;
    },
    probing: () => probing,
    attempts: () => backoff.attempts(),
    nextAttemptAt: () => Math.max(pausedUntil, options.now()),
  };
}
