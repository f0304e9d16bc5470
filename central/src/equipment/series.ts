/**
 * Time-bucketed series for charts: average, min, max and count per bucket over a window, for one
 * sensor or many (sparklines). The bucket length is picked from a ladder so a chart gets about the
 * points it asks for; rollup levels whose buckets fit inside it supply whole pieces, raw readings the
 * rest, so the buckets' counts always add up to the window's count — the first and last bucket hold
 * only the part inside the window.
 */
import { centiToNumber } from "@plantlink/shared";
import { windowRange } from "../averages/decompose.ts";
import { levelsDividing, pieces } from "../averages/rollup-levels.ts";
import { WINDOWS, type WindowBounds, type WindowName, windowBounds } from "../averages/windows.ts";
import type { Sql } from "../db/connect.ts";

const MINUTE_MS = 60_000;
const HOUR_MS = 60 * MINUTE_MS;

/** Bucket lengths a series may use: each divides a day, so buckets line up with UTC days. */
export const SERIES_BUCKETS_MS = [
  MINUTE_MS,
  2 * MINUTE_MS,
  5 * MINUTE_MS,
  10 * MINUTE_MS,
  15 * MINUTE_MS,
  30 * MINUTE_MS,
  HOUR_MS,
  2 * HOUR_MS,
  3 * HOUR_MS,
  6 * HOUR_MS,
  12 * HOUR_MS,
  24 * HOUR_MS,
] as const;

/** The shortest ladder length that gives at most `points` buckets (the longest if none does). */
export function seriesBucketMs(windowMs: number, points: number): number {
  return SERIES_BUCKETS_MS.find((size) => Math.ceil(windowMs / size) <= points) ?? SERIES_BUCKETS_MS.at(-1)!;
}

export interface SeriesBucket {
  /** The bucket's start, epoch ms (the first bucket may begin before the window). */
  start: number;
  count: number;
  /** Null for an empty bucket. */
  average: number | null;
  min: number | null;
  max: number | null;
}

export interface SeriesAnswer {
  bounds: WindowBounds;
  bucketMs: number;
  /** Bucket starts shared by every sensor, oldest first. */
  starts: number[];
  /** Per sensor, one entry per start (empty buckets included). */
  sensors: Map<string, SeriesBucket[]>;
}

export interface SeriesQuery {
  window: WindowName;
  at: number;
  points: number;
  /** Undefined: every sensor with readings in the window. */
  equipmentIds: readonly string[] | undefined;
}

interface Row {
  equipment_id: string;
  k: string;
  count: string;
  average: string;
  min_centi: string;
  max_centi: string;
}

export async function series(sql: Sql, query: SeriesQuery): Promise<SeriesAnswer> {
  const bounds = windowBounds(query.window, query.at);
  const bucketMs = seriesBucketMs(WINDOWS[query.window].ms, query.points);
  const range = windowRange(bounds);
  const rows = await sql<Row[]>`
    select equipment_id, floor(extract(epoch from at) * 1000 / ${bucketMs})::bigint as k,
      sum(count) as count, round(sum(sum_centi) / sum(count) / 100, 4)::text as average,
      min(min_centi) as min_centi, max(max_centi) as max_centi
    from (${pieces(sql, range, query.equipmentIds, levelsDividing(bucketMs))}) p
    group by 1, 2
    order by 1, 2`;

  const first = Math.floor(range.from / bucketMs);
  const last = Math.floor((range.to - 1) / bucketMs);
  const starts = Array.from({ length: last - first + 1 }, (_, i) => (first + i) * bucketMs);
  const empty = (): SeriesBucket[] =>
    starts.map((start) => ({ start, count: 0, average: null, min: null, max: null }));

  const sensors = new Map<string, SeriesBucket[]>();
  for (const id of query.equipmentIds ?? []) sensors.set(id, empty());
  for (const row of rows) {
    let buckets = sensors.get(row.equipment_id);
    if (!buckets) {
      buckets = empty();
      sensors.set(row.equipment_id, buckets);
    }
    const bucket = buckets[Number(row.k) - first];
    if (!bucket) throw new Error(`series bucket ${row.k} lies outside the window ${first}..${last}`);
    bucket.count = Number(row.count);
    bucket.average = Number(row.average);
    bucket.min = centiToNumber(Number(row.min_centi));
    bucket.max = centiToNumber(Number(row.max_centi));
  }
  return { bounds, bucketMs, starts, sensors };
}
