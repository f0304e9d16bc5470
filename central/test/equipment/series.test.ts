/**
 * Series: every bucket's count, average, min and max equal the raw rows' aggregates over the part of
 * the bucket inside the window, so the buckets' counts add up to the window's count — for random data,
 * every window, several point counts (rollup-backed and raw-backed bucket lengths alike), one sensor
 * over HTTP and many in one batched request.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { WINDOW_NAMES, WINDOWS } from "../../src/averages/windows.ts";
import { series } from "../../src/equipment/series.ts";
import { bearer, startTestCentral } from "../http/test-central.ts";
import { resetReadings } from "../support/rollups.ts";
import { DAY, MINUTE, store } from "./fleet.ts";

const central = await startTestCentral();
const { sql } = central.db;
const viewer = await central.tokenFor("viewer");
const START = Date.parse("2026-03-01T00:00:00Z");

/** The raw oracle: the window's readings grouped by bucket, straight from the rows. */
async function rawBuckets(id: string, from: number, to: number, bucketMs: number) {
  const rows = await sql<{ start: string; count: string; average: string; min: string; max: string }[]>`
    select (floor(extract(epoch from ts) * 1000 / ${bucketMs}) * ${bucketMs})::bigint as start, count(*) as count,
      round(avg(value_centi) / 100, 4)::text as average, min(value_centi) as min, max(value_centi) as max
    from readings where equipment_id = ${id} and ts > ${new Date(from)} and ts <= ${new Date(to)}
    group by 1`;
  return new Map(
    rows.map((row) => [
      Number(row.start),
      {
        count: Number(row.count),
        average: Number(row.average),
        min: Number(row.min) / 100,
        max: Number(row.max) / 100,
      },
    ]),
  );
}

const EMPTY = { count: 0, average: null, min: null, max: null };

describe("series", () => {
  it("matches the raw rows bucket by bucket, and the counts add up to the window's", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(
          fc.record({
            equipmentId: fc.constantFrom("S-1", "S-2"),
            ts: fc.oneof(
              fc.integer({ min: START - 32 * DAY, max: START }),
              fc.integer({ min: -200, max: 0 }).map((k) => START + k * 10 * MINUTE + (k % 3) - 1),
            ),
            centi: fc.integer({ min: -10_000, max: 10_000 }),
          }),
          { minLength: 1, maxLength: 300 },
        ),
        fc.constantFrom(...WINDOW_NAMES),
        fc.constantFrom(7, 24, 100, 300, 1000),
        fc.integer({ min: -3 * DAY, max: 0 }),
        async (readings, window, points, shift) => {
          await resetReadings(sql);
          await store(sql, readings);
          const at = START + shift;
          const answer = await series(sql, { window, at, points, equipmentIds: ["S-1", "S-2"] });
          const from = at - WINDOWS[window].ms;
          for (const id of ["S-1", "S-2"]) {
            const buckets = answer.sensors.get(id)!;
            expect(buckets.map((b) => b.start)).toEqual(answer.starts);
            // About `points` buckets, unless even whole days give more (a month at 7 points: 31).
            expect(buckets.length).toBeLessThanOrEqual(Math.max(points, WINDOWS[window].ms / DAY) + 1);
            const expected = await rawBuckets(id, from, at, answer.bucketMs);
            for (const bucket of buckets) {
              const { start, ...figures } = bucket;
              expect(figures, new Date(start).toISOString()).toEqual(expected.get(start) ?? EMPTY);
            }
            const total = [...expected.values()].reduce((sum, b) => sum + b.count, 0);
            expect(buckets.reduce((sum, b) => sum + b.count, 0)).toBe(total);
          }
        },
      ),
      { numRuns: 15 },
    );
  });

  it("serves one sensor over HTTP and many in one batched request, with the same buckets", async () => {
    await resetReadings(sql);
    const readings = Array.from({ length: 3 * 24 * 6 }, (_, i) => ({
      equipmentId: i % 3 === 0 ? "A" : i % 3 === 1 ? "B" : "C",
      ts: START - i * 10 * MINUTE,
      centi: i,
    }));
    await store(sql, readings);
    const at = new Date(START).toISOString();
    const one = await fetch(`${central.url}/v1/equipment/B/series?window=24h&points=24&at=${at}`, {
      headers: bearer(viewer),
    });
    expect(one.status).toBe(200);
    const single = (await one.json()) as {
      bucketMs: number;
      count: number;
      buckets: { start: string; count: number; average: number }[];
    };
    expect(single.bucketMs).toBe(3_600_000);
    expect(single.count).toBe(48);
    expect(single.buckets).toHaveLength(25); // 24 h starting mid-bucket spans 25 hour buckets

    const many = await fetch(`${central.url}/v1/series?window=24h&points=24&at=${at}`, {
      headers: bearer(viewer),
    });
    const batch = (await many.json()) as {
      starts: string[];
      sensors: { equipmentId: string; count: number[]; average: (number | null)[] }[];
    };
    expect(batch.sensors.map((s) => s.equipmentId)).toEqual(["A", "B", "C"]);
    expect(batch.starts).toEqual(single.buckets.map((b) => b.start));
    const b = batch.sensors.find((s) => s.equipmentId === "B")!;
    expect(b.count).toEqual(single.buckets.map((x) => x.count));
    expect(b.average).toEqual(single.buckets.map((x) => (x.count === 0 ? null : x.average)));

    const unknown = await fetch(`${central.url}/v1/equipment/NOPE/series?window=24h`, {
      headers: bearer(viewer),
    });
    expect(unknown.status).toBe(404);
    const badPoints = await fetch(`${central.url}/v1/equipment/B/series?window=24h&points=1`, {
      headers: bearer(viewer),
    });
    expect(badPoints.status).toBe(400);
    expect(((await badPoints.json()) as { detail: string }).detail).toMatch(
      /points must be a whole number from 2 to 1000/,
    );
  });
});
