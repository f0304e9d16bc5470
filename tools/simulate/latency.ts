/**
 * Acknowledgement latency in fixed logarithmic buckets: constant memory however long the run, and
 * percentiles to within ~5 %, which is all "does the edge keep up" needs.
 */
export interface Latency {
  record(ms: number): void;
  count(): number;
  /** The latency below which fraction `q` (0–1) of those recorded fall, in milliseconds. */
  percentile(q: number): number;
  /** Empties the histogram (the progress line shows each interval's own figures). */
  reset(): void;
}

const BUCKETS_PER_DOUBLING = 16;
const MIN_MS = 0.01;
const BUCKETS = BUCKETS_PER_DOUBLING * 24; // 0.01 ms … ~2.8 hours

function bucketOf(ms: number): number {
  if (ms <= MIN_MS) return 0;
  return Math.min(BUCKETS - 1, Math.floor(Math.log2(ms / MIN_MS) * BUCKETS_PER_DOUBLING));
}

export function createLatency(): Latency {
  const counts = new Float64Array(BUCKETS);
  let total = 0;
  return {
    record(ms) {
      const b = bucketOf(ms);
      counts[b] = (counts[b] ?? 0) + 1;
      total += 1;
    },
    count: () => total,
    percentile(q) {
      if (total === 0) return 0;
      const target = Math.max(1, Math.ceil(q * total));
      let seen = 0;
      for (let b = 0; b < BUCKETS; b++) {
        seen += counts[b] ?? 0;
        if (seen >= target) return MIN_MS * 2 ** ((b + 1) / BUCKETS_PER_DOUBLING);
      }
      return MIN_MS * 2 ** (BUCKETS / BUCKETS_PER_DOUBLING);
    },
    reset() {
      counts.fill(0);
      total = 0;
    },
  };
}
