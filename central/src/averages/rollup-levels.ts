/**
 * The rollup levels the window queries read, coarsest first, and the SQL that reads one decomposed
 * range from them: whole buckets from each level, raw readings only for what is left at the edges.
 *
 * Why three levels and not two: every window is a whole number of days, so the two edges of a window
 * together span exactly one day of partial buckets at each level below the day. With hours and raw
 * rows only, that is 23 hourly rows plus a whole hour of raw rows per sensor — 120,000 rows at
 * 1 reading/min for 2,000 sensors, most of a 50 ms budget. The 10-minute level cuts the raw part to
 * 10 minutes (and at most five 10-minute rows); measured in docs/performance.md, "Averages".
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

export const ROLLUP_LEVELS = [
  { table: "rollup_day", bucketMs: DAY_MS },
  { table: "rollup_hour", bucketMs: HOUR_MS },
  { table: "rollup_10min", bucketMs: 10 * MINUTE_MS },
] as const;

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
 * `equipment_id, at, count, sum_centi, min_centi, max_centi, sum_sq_centi, first_ts, last_ts` — `at`
 * being the bucket's start or the reading's instant — for the caller to aggregate as it needs.
 * `equipmentIds` undefined means every sensor.
 */
export function pieces(
  sql: Sql,
  range: Span,
  equipmentIds: readonly string[] | undefined,
  levels: readonly (typeof ROLLUP_LEVELS)[number][] = ROLLUP_LEVELS,
): postgres.PendingQuery<postgres.Row[]> {
  const { decomposition } = decomposeForLevels(range, levels);
  const only = (column: string) =>
    equipmentIds === undefined ? sql`` : sql`and ${sql(column)} = any(${equipmentIds as string[]}::text[])`;
  const branches: postgres.PendingQuery<postgres.Row[]>[] = [];
  decomposition.levels.forEach((spans, i) => {
    const table = levels[i]!.table;
    for (const span of spans) {
      branches.push(sql`
        select equipment_id, bucket as at, count, sum_centi, min_centi, max_centi, sum_sq_centi, first_ts, last_ts
        from ${sql(table)}
        where bucket >= ${new Date(span.from)} and bucket < ${new Date(span.to)} ${only("equipment_id")}`);
    }
  });
  for (const span of decomposition.raw) {
    branches.push(sql`
      select equipment_id, ts as at, 1::bigint as count, value_centi::numeric as sum_centi,
        value_centi as min_centi, value_centi as max_centi, value_centi::numeric * value_centi as sum_sq_centi,
        ts as first_ts, ts as last_ts
      from readings
      where ts >= ${new Date(span.from)} and ts < ${new Date(span.to)} ${only("equipment_id")}`);
  }
  if (branches.length === 0) {
    // An empty range: a query of the same shape with no rows keeps every caller's SQL simple.
    return sql`
      select null::text as equipment_id, null::timestamptz as at, 0::bigint as count, 0::numeric as sum_centi,
        0::bigint as min_centi, 0::bigint as max_centi, 0::numeric as sum_sq_centi,
        null::timestamptz as first_ts, null::timestamptz as last_ts
      where false`;
  }
  return branches.reduce((all, branch) => sql`${all} union all ${branch}`);
}
