/**
 * Splits a time range into the rollup buckets that lie wholly inside it, coarsest level first, and the
 * raw remainders at its edges. This is where the exactness of every window answer is decided, so it is
 * pure and tested on its own (test/averages/decompose.test.ts) as well as through the SQL.
 *
 * Ranges are half-open `[from, to)` in epoch milliseconds. A window `(a, b]` is the range
 * `[a + 1, b + 1)`: readings carry whole milliseconds (DESIGN.md section 2), so `ts > a` is
 * `ts ≥ a + 1 ms` and `ts ≤ b` is `ts < b + 1 ms`. A bucket `[h, h + L)` is then inside exactly when
 * `h ≥ from` and `h + L ≤ to` — the same as `h > a` and `h + L − 1 ms ≤ b`.
 *
 * Buckets are aligned to multiples of their length since the epoch, which for hours and days is
 * `date_trunc(…, 'UTC')` (epoch milliseconds have no leap seconds).
 */

export interface Span {
  /** Inclusive, epoch ms. */
  from: number;
  /** Exclusive, epoch ms. */
  to: number;
}

export interface Decomposition {
  /** Per level, in the order of `bucketMs`: the bucket-aligned spans read from that level's rollup. */
  levels: Span[][];
  /** What no level covers: at most one span at each edge, read from the raw readings. */
  raw: Span[];
}

const floorTo = (ms: number, size: number) => Math.floor(ms / size) * size;
const ceilTo = (ms: number, size: number) => Math.ceil(ms / size) * size;

/**
 * `bucketMs` lists the levels' bucket lengths, coarsest first; each must divide the one before it.
 * Each level takes the longest run of whole buckets from each remainder the coarser levels left,
 * so every level gets at most two spans and the raw rows at most two: one at each edge.
 */
export function decompose(range: Span, bucketMs: readonly number[]): Decomposition {
  let pending: Span[] = range.from < range.to ? [range] : [];
  const levels: Span[][] = [];
  for (const size of bucketMs) {
    const taken: Span[] = [];
    const left: Span[] = [];
    for (const span of pending) {
      const from = ceilTo(span.from, size);
      const to = floorTo(span.to, size);
      if (from >= to) {
        left.push(span);
        continue;
      }
      taken.push({ from, to });
      if (span.from < from) left.push({ from: span.from, to: from });
      if (to < span.to) left.push({ from: to, to: span.to });
    }
    levels.push(taken);
    pending = left;
  }
  return { levels, raw: pending };
}

/** The half-open range of a window `(from, to]` (both epoch ms): see the file comment. */
export function windowRange(bounds: { from: number; to: number }): Span {
  return { from: bounds.from + 1, to: bounds.to + 1 };
}
