/**
 * What one ingest call does with each reading: inserted, duplicate (same identity and value as
 * stored) or conflict (same identity, different value: the first value stays and the conflict is
 * recorded) — and that only inserted readings reach the rollups and the equipment summary.
 */

import { setTimeout as sleep } from "node:timers/promises";
import type { Reading } from "@plantlink/shared";
import fc from "fast-check";
import { beforeEach, describe, expect, it } from "vitest";
import { ingest, ingestInTransaction } from "../../src/ingest/ingest.ts";
import { resetReadings } from "../support/rollups.ts";
import { createTestDatabase } from "../support/test-database.ts";

const db = await createTestDatabase();
const { sql } = db;

const t0 = Date.parse("2024-03-10T09:15:00.000Z");
const r = (equipmentId: string, ts: number, centi: number): Reading => ({ equipmentId, ts, centi });

beforeEach(async () => {
  await resetReadings(sql);
});

describe("ingest", () => {
  it("inserts new readings and counts them", async () => {
    const result = await ingest(
      sql,
      [r("EQ-1", t0, 7842), r("EQ-1", t0 + 1000, 7843), r("EQ-2", t0, -5)],
      "edge-a",
    );
    expect(result).toEqual({ inserted: 3, duplicates: 0, conflicts: 0 });
    const rows = await sql`
      select equipment_id, (extract(epoch from ts) * 1000)::bigint::text as ms, value_centi::int, source
      from readings order by 1, 2`;
    expect(rows).toEqual([
      { equipment_id: "EQ-1", ms: String(t0), value_centi: 7842, source: "edge-a" },
      { equipment_id: "EQ-1", ms: String(t0 + 1000), value_centi: 7843, source: "edge-a" },
      { equipment_id: "EQ-2", ms: String(t0), value_centi: -5, source: "edge-a" },
    ]);
  });

  it("counts the same identity and value again as a duplicate and changes nothing", async () => {
    await ingest(sql, [r("EQ-1", t0, 100)], "edge-a");
    const again = await ingest(sql, [r("EQ-1", t0, 100), r("EQ-1", t0, 100)], "edge-b");
    expect(again).toEqual({ inserted: 0, duplicates: 2, conflicts: 0 });
    const [row] = await sql`select value_centi::int, source from readings`;
    expect(row).toEqual({ value_centi: 100, source: "edge-a" });
    expect(await sql`select * from conflicts`).toHaveLength(0);
  });

  it("keeps the first value on a conflict and records the rejected one", async () => {
    await ingest(sql, [r("EQ-1", t0, 100)], "edge-a");
    const result = await ingest(sql, [r("EQ-1", t0, 250), r("EQ-1", t0 + 1, 1)], "upload-7");
    expect(result).toEqual({ inserted: 1, duplicates: 0, conflicts: 1 });
    const [stored] = await sql`select value_centi::int from readings where ts = to_timestamp(${t0} / 1000.0)`;
    expect(stored).toEqual({ value_centi: 100 });
    const recorded = await sql`
      select equipment_id, (extract(epoch from ts) * 1000)::bigint::text as ms, stored_centi::int,
        rejected_centi::int, source
      from conflicts`;
    expect(recorded).toEqual([
      { equipment_id: "EQ-1", ms: String(t0), stored_centi: 100, rejected_centi: 250, source: "upload-7" },
    ]);
  });

  it("classifies repeats inside one batch against the first of them", async () => {
    const result = await ingest(
      sql,
      [r("EQ-1", t0, 5), r("EQ-1", t0, 5), r("EQ-1", t0, 6), r("EQ-1", t0, 5), r("EQ-1", t0, 7)],
      "edge-a",
    );
    expect(result).toEqual({ inserted: 1, duplicates: 2, conflicts: 2 });
    expect(await sql`select value_centi::int from readings`).toEqual([{ value_centi: 5 }]);
    const rejected = await sql`select rejected_centi::int from conflicts order by 1`;
    expect(rejected).toEqual([{ rejected_centi: 6 }, { rejected_centi: 7 }]);
  });

  it.each([false, true])(
    "classifies against a row that a concurrent writer committed while the insert waited for it (expectNew: %s)",
    async (expectNew) => {
      let release = () => {};
      const held = new Promise<void>((resolve) => (release = resolve));
      let firstWrote = () => {};
      const wrote = new Promise<void>((resolve) => (firstWrote = resolve));
      const first = sql.begin(async (tx) => {
        await ingestInTransaction(tx, [r("EQ-W", t0, 1)], "first");
        firstWrote();
        await held; // commit only once the second writer waits on this row
      });
      await wrote;
      const second = sql.begin((tx) =>
        ingestInTransaction(tx, [r("EQ-W", t0, 2), r("EQ-W", t0 + 1, 3)], "second", { expectNew }),
      );
      for (;;) {
        const [waiting] = await sql<{ n: number }[]>`
        select count(*)::int as n from pg_stat_activity
        where datname = current_database() and wait_event_type = 'Lock'`;
        if (waiting?.n === 1) break;
        await sleep(10);
      }
      release();
      await first;
      expect(await second).toEqual({ inserted: 1, duplicates: 0, conflicts: 1 });
      const recorded = await sql`select stored_centi::int, rejected_centi::int, source from conflicts`;
      expect(recorded).toEqual([{ stored_centi: 1, rejected_centi: 2, source: "second" }]);
    },
  );

  it("counts and rolls up once a batch expected new whose last reading is already stored", async () => {
    // The last reading in identity order is the stored one: the plain insert puts everything before
    // it in first, and must be undone, so the batch is counted once when it is sorted out.
    await ingest(sql, [r("EQ-L", t0 + 99_000, 1)], "edge-a");
    const batch = Array.from({ length: 100 }, (_, i) => r("EQ-L", t0 + i * 1000, i === 99 ? 2 : 100));
    const result = await sql.begin((tx) => ingestInTransaction(tx, batch, "edge-b", { expectNew: true }));
    expect(result).toEqual({ inserted: 99, duplicates: 0, conflicts: 1 });
    const [stored] = await sql`select count(*)::int as n, sum(value_centi)::int as sum from readings`;
    expect(stored).toEqual({ n: 100, sum: 99 * 100 + 1 });
    for (const table of ["rollup_10min", "rollup_hour", "rollup_week"]) {
      const [rollup] = await sql`select sum(count)::int as n, sum(sum_centi)::int as sum from ${sql(table)}`;
      expect(rollup, table).toEqual({ n: 100, sum: 99 * 100 + 1 });
    }
    const [summary] = await sql`select reading_count::int as n from equipment where equipment_id = 'EQ-L'`;
    expect(summary).toEqual({ n: 100 });
  });

  it("feeds only the inserted readings into the rollups and the equipment summary", async () => {
    await ingest(sql, [r("EQ-1", t0, 100), r("EQ-1", t0 + 60_000, 300)], "edge-a");
    await ingest(
      sql,
      [r("EQ-1", t0, 100), r("EQ-1", t0 + 60_000, 999), r("EQ-1", t0 + 120_000, 200)],
      "edge-b",
    );
    const [hour] = await sql`
      select bucket, count::int, sum_centi::text, min_centi::int, max_centi::int, sum_sq_centi::text
      from rollup_hour`;
    expect(hour).toEqual({
      bucket: new Date("2024-03-10T09:00:00.000Z"),
      count: 3,
      sum_centi: "600",
      min_centi: 100,
      max_centi: 300,
      sum_sq_centi: String(100 ** 2 + 300 ** 2 + 200 ** 2),
    });
    const [day] = await sql`select bucket, count::int, sum_centi::text from rollup_day`;
    expect(day).toEqual({ bucket: new Date("2024-03-10T00:00:00.000Z"), count: 3, sum_centi: "600" });
    const [summary] = await sql`select first_ts, last_ts, last_centi::int, last_source from equipment`;
    expect(summary).toEqual({
      first_ts: new Date(t0),
      last_ts: new Date(t0 + 120_000),
      last_centi: 200,
      last_source: "edge-b",
    });
  });

  it("does not move the equipment's last reading back for an older arrival", async () => {
    await ingest(sql, [r("EQ-1", t0, 100)], "edge-a");
    await ingest(sql, [r("EQ-1", t0 - 3_600_000, 50)], "upload-1");
    const [summary] = await sql`select first_ts, last_ts, last_centi::int, last_source from equipment`;
    expect(summary).toEqual({
      first_ts: new Date(t0 - 3_600_000),
      last_ts: new Date(t0),
      last_centi: 100,
      last_source: "edge-a",
    });
  });

  it("buckets by UTC hour, quarter day, day and 7-day week from the epoch whatever the session time zone", async () => {
    await sql.begin(async (tx) => {
      await tx`set local timezone = 'Asia/Kathmandu'`; // +05:45
      await ingestInTransaction(tx, [r("EQ-1", Date.parse("2024-03-10T23:59:59.999Z"), 1)], "edge-a");
    });
    const buckets = await sql`
      select (select bucket from rollup_hour) as hour, (select bucket from rollup_6h) as six_hours,
        (select bucket from rollup_day) as day, (select bucket from rollup_week) as week`;
    expect(buckets[0]).toEqual({
      hour: new Date("2024-03-10T23:00:00.000Z"),
      six_hours: new Date("2024-03-10T18:00:00.000Z"),
      day: new Date("2024-03-10T00:00:00.000Z"),
      week: new Date("2024-03-07T00:00:00.000Z"), // a Thursday, as 1970-01-01 was
    });
  });

  it("keeps extreme values exact in the rollups", async () => {
    const max = 99_999_999_999_999; // just under 1e12 in hundredths
    await ingest(sql, [r("EQ-1", t0, max), r("EQ-1", t0 + 1, max), r("EQ-1", t0 + 2, -max)], "edge-a");
    const [hour] = await sql`select sum_centi::text, sum_sq_centi::text, min_centi::text from rollup_hour`;
    expect(hour).toEqual({
      sum_centi: String(max),
      sum_sq_centi: (3n * BigInt(max) ** 2n).toString(),
      min_centi: String(-max),
    });
  });

  it("stores every millisecond instant exactly", async () => {
    let run = 0;
    await fc.assert(
      fc.asyncProperty(
        fc.uniqueArray(fc.integer({ min: Date.parse("1990-01-01"), max: Date.parse("2100-01-01") }), {
          minLength: 1,
          maxLength: 50,
        }),
        async (instants) => {
          const id = `EQ-ms-${run++}`;
          await ingest(
            sql,
            instants.map((ts) => r(id, ts, 1)),
            "edge-a",
          );
          const rows = await sql<{ ms: string }[]>`
            select (extract(epoch from ts) * 1000)::bigint::text as ms from readings where equipment_id = ${id}`;
          const ascending = (a: number, b: number) => a - b;
          expect(rows.map((row) => Number(row.ms)).sort(ascending)).toEqual([...instants].sort(ascending));
        },
      ),
      { numRuns: 30 },
    );
  });
});
