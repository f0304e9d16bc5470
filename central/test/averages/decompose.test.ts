/**
 * The decomposition of a window into whole rollup buckets and raw edges: every instant of the range is
 * covered exactly once, nothing outside it is, and each piece is a whole bucket of its level.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { decompose, type Span, windowRange } from "../../src/averages/decompose.ts";
import { ROLLUP_LEVELS } from "../../src/averages/rollup-levels.ts";

const SIZES = ROLLUP_LEVELS.map((level) => level.bucketMs);
const DAY = 86_400_000;

/** Every piece, in order, with the level it came from (-1 for raw). */
function piecesOf(range: Span) {
  const { levels, raw } = decompose(range, SIZES);
  const all = [
    ...levels.flatMap((spans, level) => spans.map((span) => ({ ...span, level }))),
    ...raw.map((span) => ({ ...span, level: -1 })),
  ];
  return { levels, raw, all: all.sort((a, b) => a.from - b.from) };
}

describe("decompose", () => {
  it("tiles any range exactly with whole buckets and at most one raw span at each edge", () => {
    fc.assert(
      fc.property(
        fc.integer({ min: -40 * DAY, max: 40 * DAY }),
        fc.integer({ min: 0, max: 35 * DAY }),
        (start, length) => {
          const range = { from: start, to: start + length };
          const { levels, raw, all } = piecesOf(range);
          // Contiguous, starting and ending at the range's ends, no overlap.
          let cursor = range.from;
          for (const piece of all) {
            expect(piece.from).toBe(cursor);
            expect(piece.to).toBeGreaterThan(piece.from);
            cursor = piece.to;
          }
          expect(cursor).toBe(length === 0 ? range.from : range.to);
          // Each rollup span is a run of whole, aligned buckets.
          levels.forEach((spans, level) => {
            const size = SIZES[level]!;
            expect(spans.length).toBeLessThanOrEqual(2);
            for (const span of spans) {
              expect(((span.from % size) + size) % size).toBe(0);
              expect(((span.to % size) + size) % size).toBe(0);
            }
          });
          expect(raw.length).toBeLessThanOrEqual(2);
          // Raw rows are only what no finest bucket fits in: less than one such bucket at each edge, or
          // one span of at most two buckets less 2 ms when the range holds no whole bucket at all.
          const finest = SIZES.at(-1)!;
          const rawTotal = raw.reduce((sum, span) => sum + span.to - span.from, 0);
          expect(rawTotal).toBeLessThanOrEqual(2 * finest - 2);
          if (raw.length === 2) for (const span of raw) expect(span.to - span.from).toBeLessThan(finest);
        },
      ),
      // [1, 600000]: a range one bucket long that holds no whole bucket (found by this property once).
      { numRuns: 500, examples: [[1, 600_000]] },
    );
  });

  it("treats the window (now − W, now] as the half-open range [now − W + 1 ms, now + 1 ms)", () => {
    const now = Date.parse("2026-03-08T07:00:00.000Z");
    expect(windowRange({ from: now - DAY, to: now })).toEqual({ from: now - DAY + 1, to: now + 1 });
  });

  it("counts a bucket [h, h + L) inside (a, b] only when h > a and h + L − 1 ms ≤ b", () => {
    const hour = 3_600_000;
    const h = Date.parse("2026-03-29T01:00:00.000Z");
    const hourSpans = (a: number, b: number) => decompose(windowRange({ from: a, to: b }), [hour]).levels[0];
    // b = h + L − 1 ms: the bucket's last millisecond is inside, so the bucket is.
    expect(hourSpans(h - 1, h + hour - 1)).toEqual([{ from: h, to: h + hour }]);
    // a = h: the bucket's first instant is not inside (the window is open at a).
    expect(hourSpans(h, h + hour - 1)).toEqual([]);
    // b one millisecond short: the bucket's last millisecond is outside.
    expect(hourSpans(h - 1, h + hour - 2)).toEqual([]);
  });

  it("reads a whole-day window ending on the hour with no raw rows at all", () => {
    const now = Date.parse("2026-02-15T13:00:00.000Z") - 1; // 12:59:59.999, so the range ends at 13:00
    const { raw, levels } = piecesOf(windowRange({ from: now - DAY, to: now }));
    const at = (iso: string) => Date.parse(`2026-02-${iso}Z`);
    const level = Object.fromEntries(ROLLUP_LEVELS.map((l, i) => [l.table, levels[i]]));
    expect(raw).toEqual([]);
    expect(level).toEqual({
      rollup_week: [],
      rollup_day: [], // 24 h starting at 13:00 holds no whole UTC day
      rollup_6h: [{ from: at("14T18:00:00"), to: at("15T12:00:00") }],
      rollup_hour: [
        { from: at("14T13:00:00"), to: at("14T18:00:00") },
        { from: at("15T12:00:00"), to: at("15T13:00:00") },
      ],
      rollup_10min: [],
    });
  });
});
