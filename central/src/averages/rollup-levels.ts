/**
 * The rollup levels the window queries read, coarsest first, and the SQL that reads one decomposed
 * range from them: whole buckets from each level, raw readings only for what is left at the edges.
 *
 * Why these five levels: every window is a whole number of days, so its two edges together span
 * exactly one day of partial buckets at each level below the day, and each level reads only what the
 * coarser ones leave. Per sensor at 1 reading/min, a 1-month window reads on average 3.3 week rows,
 * 6 day rows, 3 six-hour, 5 hour and 5 ten-minute rows and 10 raw readings — 32 rows, where the
 * 10-minute, hour and day levels alone read 67 (134,000 for 2,000 sensors); a 24-hour window reads 23
 * instead of 38. The 10-minute level keeps the raw part to 10 minutes. Each level costs ingest one
 * upsert per sensor and batch; measured in docs/performance.md, "Averages" and "Central ingest".
 *
 * Each level has an index on (bucket) and readings a covering one on (ts) with equipment_id and
 * value_centi, so every span is one range scan across all sensors (no visit per sensor). The rollup
 * indexes are deliberately not covering: an included aggregate column changes on every ingest, which
 * would rule out the HOT updates that keep ingest's rollup upkeep cheap (drizzle/0004_hot_updates.sql).
 */
import type postgres from "postgres";
import type { Sql } from "../db/connect.ts";
import { type Decomposition, decompose, type Span } from "./decompose.ts";

const MINUTE_MS = 60_000;
const HOUR_MS = 60 * MINUTE_MS;
const DAY_MS = 24 * HOUR_MS;

/**
 * `width` is the bucket length as SQL: a reading's bucket is `date_bin(width, ts, epoch)`, which is how
 * ingest (central/src/ingest/ingest.ts) fills every level.
 */
export const ROLLUP_LEVELS = [
  { table: "rollup_week", bucketMs: 7 * DAY_MS, width: "7 days" },
  { table: "rollup_day", bucketMs: DAY_MS, width: "1 day" },
  { table: "rollup_6h", bucketMs: 6 * HOUR_MS, width: "6 hours" },
  { table: "rollup_hour", bucketMs: HOUR_MS, width: "1 hour" },
  { table: "rollup_10min", bucketMs: 10 * MINUTE_MS, width: "10 minutes" },
] as const;

/** Every rollup table, for the tools that empty or check them all. */
export const ROLLUP_TABLES: readonly RollupTable[] = ROLLUP_LEVELS.map((level) => level.table);

export type RollupTable = (typeof ROLLUP_LEVELS)[number]["table"];

/** Only the levels whose buckets fit in `bucketMs`-long groups (for series with their own buckets). */
export function levelsDividing(bucketMs: number): (typeof ROLLUP_LEVELS)[number][] {
  return ROLLUP_LEVELS.filter((level) => bucketMs % level.bucketMs === 0);
}

export function decomposeForLevels(
  range: Span,
  levels: readonly (typeof ROLLUP_LEVELS)[number][] = ROLLUP_LEVELS,
): { decomposition: Decomposition; levels: readonly (typeof ROLLUP_LEVELS)[number][] } {
  return {
    decomposition: decompose(
      range,
      levels.map((level) => level.bucketMs),
    ),
    levels,
  };
}

/**
 * One row per piece (a rollup bucket or a raw reading) of the decomposed range, with the columns
 * `equipment_id, at, count, sum_centi, min_centi, max_centi, first_ts, last_ts` — `at` being the
 * bucket's start or the reading's instant — for the caller to aggregate as it needs. (No sum of
 * squares: no caller needs one, and squaring every raw reading would cost each answer milliseconds.)
 * `equipmentIds` undefined means every sensor.
 *
 * `rawBySensor` sums the raw readings of both edges into one piece per sensor (its `at` then being its
 * first reading), for a caller that aggregates by sensor alone: a third of a window's pieces are raw
 * readings, and summing them as integers first took ~4 ms (12 %) off the 1-month window statement.
 */
export function pieces(
  sql: Sql,
  range: Span,
  equipmentIds: readonly string[] | undefined,
  levels: readonly (typeof ROLLUP_LEVELS)[number][] = ROLLUP_LEVELS,
  { rawBySensor = false } = {},
): postgres.PendingQuery<postgres.Row[]> {
  const { decomposition } = decomposeForLevels(range, levels);
  const only = (column: string) =>
    equipmentIds === undefined ? sql`` : sql`and ${sql(column)} = any(${equipmentIds as string[]}::text[])`;
  const branches: postgres.PendingQuery<postgres.Row[]>[] = [];
  decomposition.levels.forEach((spans, i) => {
    const table = levels[i]!.table;
    for (const span of spans) {
      branches.push(sql`
        select equipment_id, bucket as at, count, sum_centi, min_centi, max_centi, first_ts, last_ts
        from ${sql(table)}
        where bucket >= ${new Date(span.from)} and bucket < ${new Date(span.to)} ${only("equipment_id")}`);
    }
  });
  const raw = decomposition.raw.map(
    (span) => sql`
      select equipment_id, ts, value_centi
      from readings
      where ts >= ${new Date(span.from)} and ts < ${new Date(span.to)} ${only("equipment_id")}`,
  );
  if (raw.length > 0 && rawBySensor) {
    branches.push(sql`
      select equipment_id, min(ts) as at, count(*) as count, sum(value_centi) as sum_centi,
        min(value_centi) as min_centi, max(value_centi) as max_centi, min(ts) as first_ts, max(ts) as last_ts
      from (${unionAll(sql, raw)}) r
      group by equipment_id`);
  } else {
    for (const readings of raw) {
      branches.push(sql`
        select equipment_id, ts as at, 1::bigint as count, value_centi::numeric as sum_centi,
          value_centi as min_centi, value_centi as max_centi, ts as first_ts, ts as last_ts
        from (${readings}) r`);
    }
  }
  if (branches.length === 0) {
    // An empty range: a query of the same shape with no rows keeps every caller's SQL simple.
    return sql`
      select null::text as equipment_id, null::timestamptz as at, 0::bigint as count, 0::numeric as sum_centi,
        0::bigint as min_centi, 0::bigint as max_centi, null::timestamptz as first_ts, null::timestamptz as last_ts
      where false`;
  }
  return unionAll(sql, branches);
}

function unionAll(
  sql: Sql,
  queries: postgres.PendingQuery<postgres.Row[]>[],
): postgres.PendingQuery<postgres.Row[]> {
  return queries.reduce((all, query) => sql`${all} union all ${query}`);
}
