/** readings is partitioned by UTC month: inserts never fail for a missing month, retention is a DROP. */
import { describe, expect, it } from "vitest";
import { AnswerCache } from "../../src/answers/answer-cache.ts";
import { seriesSpec } from "../../src/answers/answer-specs.ts";
import {
  dropReadingsPartitionsBefore,
  ensureReadingsPartitions,
  maintainReadingsPartitions,
} from "../../src/db/partitions.ts";
import { DEFAULT_STATUS_THRESHOLDS } from "../../src/equipment/status.ts";
import { ingest } from "../../src/ingest/ingest.ts";
import { createTestDatabase } from "../support/test-database.ts";

const { sql } = await createTestDatabase();

const partitionOf = async (iso: string) =>
  (
    await sql<{ partition: string }[]>`
      select tableoid::regclass::text as partition from readings where ts = ${iso}::timestamptz`
  )[0]?.partition;

describe("readings partitions", () => {
  it("exist ahead of time for the current months", async () => {
    const now = new Date();
    const name = `readings_y${now.getUTCFullYear()}m${String(now.getUTCMonth() + 1).padStart(2, "0")}`;
    const [row] = await sql`select to_regclass(${name}) is not null as exists`;
    expect(row).toEqual({ exists: true });
  });

  it("take readings of a month without a partition into the default one, and move them out later", async () => {
    const ts = Date.parse("2019-06-30T23:59:59.999Z");
    const result = await ingest(sql, [{ equipmentId: "EQ-1", ts, centi: 1 }], "upload-1");
    expect(result.inserted).toBe(1);
    expect(await partitionOf("2019-06-30T23:59:59.999Z")).toBe("readings_default");

    expect(await ensureReadingsPartitions(sql, new Date("2019-06-15T00:00:00Z"), 2)).toBe(2);
    expect(await partitionOf("2019-06-30T23:59:59.999Z")).toBe("readings_y2019m06");
    expect(await ensureReadingsPartitions(sql, new Date("2019-06-15T00:00:00Z"), 2)).toBe(0);

    // The identity is still enforced across the move.
    const again = await ingest(sql, [{ equipmentId: "EQ-1", ts, centi: 2 }], "upload-2");
    expect(again).toEqual({ inserted: 0, duplicates: 0, conflicts: 1 });
  });

  it("bound months in UTC whatever the session time zone", async () => {
    await sql.begin(async (tx) => {
      await tx`set local timezone = 'America/New_York'`;
      await tx`select plantlink_ensure_readings_partitions('2018-03-01T00:00:00Z', 1)`;
    });
    const [row] = await sql`
      select pg_get_expr(relpartbound, oid) as bound from pg_class where relname = 'readings_y2018m03'`;
    expect(row).toEqual({
      bound: "FOR VALUES FROM ('2018-03-01 00:00:00+00') TO ('2018-04-01 00:00:00+00')",
    });
  });

  it("are dropped whole for retention", async () => {
    await ensureReadingsPartitions(sql, new Date("2017-01-01T00:00:00Z"), 2);
    await ingest(sql, [{ equipmentId: "EQ-2", ts: Date.parse("2017-01-10T00:00:00Z"), centi: 1 }], "x");
    await ingest(sql, [{ equipmentId: "EQ-2", ts: Date.parse("2017-02-10T00:00:00Z"), centi: 1 }], "x");
    const dropped = await dropReadingsPartitionsBefore(sql, new Date("2017-02-01T00:00:00Z"));
    expect(dropped).toEqual(["readings_y2017m01"]);
    const left = await sql`select ts from readings where equipment_id = 'EQ-2'`;
    expect(left).toEqual([{ ts: new Date("2017-02-10T00:00:00Z") }]);
  });

  it("tell cached answers when retention drops readings", async () => {
    await ensureReadingsPartitions(sql, new Date("2016-01-01T00:00:00Z"), 1);
    await ingest(sql, [{ equipmentId: "EQ-3", ts: Date.parse("2016-01-09T12:05:00Z"), centi: 1 }], "x");
    const cache = new AnswerCache(sql);
    const spec = seriesSpec(
      { sql, thresholds: DEFAULT_STATUS_THRESHOLDS },
      { equipmentId: "EQ-3", window: "24h", at: Date.parse("2016-01-10T12:03:00Z"), points: 24 },
      async () => undefined,
    );
    const countOf = async () =>
      (JSON.parse((await cache.answer(spec)).body.toString()) as { count: number }).count;
    expect(await countOf()).toBe(1);
    await dropReadingsPartitionsBefore(sql, new Date("2016-02-01T00:00:00Z"));
    // The reading lies in the window's first, partial 10 minutes, read from the raw rows, now gone.
    expect(await countOf()).toBe(JSON.parse(JSON.stringify(await spec.compute())).count);
    expect(await countOf()).not.toBe(1);
  });
});

describe("partition maintenance", () => {
  it("makes the coming months' partitions at start and stops cleanly", async () => {
    const errors: unknown[] = [];
    const maintenance = maintainReadingsPartitions(sql, {
      now: () => new Date("2031-05-20T00:00:00Z"),
      monthsAhead: 2,
      onError: (error) => errors.push(error),
    });
    await maintenance.close();
    expect(errors).toEqual([]);
    const rows = await sql<{ name: string }[]>`
      select relname as name from pg_class where relname like 'readings_y2031%' and relkind = 'r' order by 1`;
    expect(rows.map((row) => row.name)).toEqual([
      "readings_y2031m05",
      "readings_y2031m06",
      "readings_y2031m07",
    ]);
  });
});
