/**
 * Many writers at once, with overlapping, repeated and conflicting readings: no deadlock, every
 * reading counted exactly once as inserted, duplicate or conflict, and the rollups and equipment
 * summary equal to aggregates computed from the raw rows.
 */
import type { Reading } from "@plantlink/shared";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { ROLLUP_LEVELS } from "../../src/averages/rollup-levels.ts";
import { type IngestResult, ingest } from "../../src/ingest/ingest.ts";
import { differenceOf, levelAndRaw } from "../support/rollups.ts";
import { createTestDatabase } from "../support/test-database.ts";

const db = await createTestDatabase({ max: 8 });
const { sql } = db;

// 2024-01-31 20:00 UTC: 37-minute steps cross hours, days and the January/February partitions.
const base = Date.parse("2024-01-31T20:00:00.000Z");
const MAX = 99_999_999_999_999;

const readingArb = (prefix: string) =>
  fc.record({
    equipmentId: fc.constantFrom("a", "b", "B", "eq-1").map((id) => `${prefix}${id}`),
    ts: fc.integer({ min: 0, max: 60 }).map((step) => base + step * 37 * 60_000 + (step % 3)),
    // A small range makes repeats likely; the extremes check that sums stay exact.
    centi: fc.oneof({ weight: 9, arbitrary: fc.integer({ min: -2, max: 2 }) }, fc.constantFrom(MAX, -MAX)),
  });

const scenarioArb = fc.record({
  writers: fc.integer({ min: 2, max: 6 }),
  batches: fc.array(fc.array(readingArb(""), { minLength: 1, maxLength: 40 }), {
    minLength: 1,
    maxLength: 14,
  }),
});

/** Rows in one relation and not in the other, both ways: empty when the two queries agree exactly. */
async function difference(prefix: string, stored: string, expected: string): Promise<unknown[]> {
  const like = `${prefix}%`;
  return sql.unsafe(differenceOf(stored, expected).replaceAll("$PREFIX", "$1"), [like]);
}

describe("concurrent ingest", () => {
  it("keeps rollups equal to the raw rows and counts every reading exactly", async () => {
    let run = 0;
    await fc.assert(
      fc.asyncProperty(scenarioArb, async ({ writers, batches }) => {
        const prefix = `r${run++}-`;
        const withPrefix = batches.map((batch) =>
          batch.map((reading): Reading => ({ ...reading, equipmentId: prefix + reading.equipmentId })),
        );
        const results: IngestResult[] = [];
        await Promise.all(
          Array.from({ length: writers }, async (_, writer) => {
            for (let i = writer; i < withPrefix.length; i += writers) {
              const batch = withPrefix[i]!;
              const result = await ingest(sql, batch, `writer-${writer}`);
              expect(result.inserted + result.duplicates + result.conflicts).toBe(batch.length);
              results.push(result);
            }
          }),
        );

        // The oracle does not depend on which writer won: per identity, whatever value is stored must
        // be one that was sent; every other reading of that identity is a duplicate or a conflict of it.
        const stored = new Map(
          (
            await sql<{ key: string; centi: string }[]>`
              select equipment_id || '@' || (extract(epoch from ts) * 1000)::bigint as key, value_centi as centi
              from readings where equipment_id like ${`${prefix}%`}`
          ).map((row) => [row.key, Number(row.centi)]),
        );
        const sent = withPrefix.flat();
        const expected = { inserted: stored.size, duplicates: 0, conflicts: 0 };
        for (const reading of sent) {
          const value = stored.get(`${reading.equipmentId}@${reading.ts}`);
          expect(value).toBeDefined();
          if (value !== reading.centi) expected.conflicts++;
          else expected.duplicates++;
        }
        expected.duplicates -= stored.size; // the first of each identity was inserted, not duplicated
        const total = (key: keyof IngestResult) => results.reduce((sum, result) => sum + result[key], 0);
        expect({
          inserted: total("inserted"),
          duplicates: total("duplicates"),
          conflicts: total("conflicts"),
        }).toEqual(expected);
        for (const [key, value] of stored) {
          const [equipmentId, ts] = key.split("@");
          expect(
            sent.some((r) => r.equipmentId === equipmentId && r.ts === Number(ts) && r.centi === value),
          ).toBe(true);
        }

        const [recorded] = await sql<{ n: number; wrong: number }[]>`
          select count(*)::int as n, count(*) filter (where c.stored_centi <> s.value_centi)::int as wrong
          from conflicts c join readings s using (equipment_id, ts)
          where c.equipment_id like ${`${prefix}%`}`;
        expect(recorded).toEqual({ n: expected.conflicts, wrong: 0 });

        for (const level of ROLLUP_LEVELS) {
          const [stored, raw] = levelAndRaw(level, "equipment_id like $PREFIX");
          expect(await difference(prefix, stored, raw), level.table).toEqual([]);
        }
        expect(
          await difference(
            prefix,
            "select equipment_id, first_ts, last_ts, last_centi, last_source, reading_count from equipment where equipment_id like $PREFIX",
            `select distinct on (equipment_id) equipment_id, min(ts) over (partition by equipment_id), ts,
               value_centi, source, count(*) over (partition by equipment_id)
             from readings where equipment_id like $PREFIX order by equipment_id, ts desc`,
          ),
        ).toEqual([]);
      }),
      { numRuns: 25 },
    );
  });
});
