/**
 * Readings per second over a sliding window, for the drain rate in status: one-second buckets, so a
 * burst of batches does not swing the figure and an idle forwarder decays to 0 within the window.
 */

export interface RateMeter {
  add(count: number): void;
  perSecond(): number;
}

export function createRateMeter(options: { windowMs: number; now: () => number }): RateMeter {
  const buckets = new Map<number, number>();
  const seconds = Math.max(1, Math.round(options.windowMs / 1000));
  const drop = (current: number) => {
    for (const second of buckets.keys()) if (second <= current - seconds) buckets.delete(second);
  };
  return {
    add(count) {
      const second = Math.floor(options.now() / 1000);
      drop(second);
      buckets.set(second, (buckets.get(second) ?? 0) + count);
    },
    perSecond() {
      const second = Math.floor(options.now() / 1000);
      drop(second);
      let sum = 0;
      for (const count of buckets.values()) sum += count;
      return sum / seconds;
    },
  };
}
