/**
 * Gaps: intervals with no readings, longer than a multiple of the sensor's usual interval between
 * readings. The usual interval is estimated from the sensor's own data in the window — the median of
 * the intervals between consecutive readings, which holes and bursts barely move — so a sensor
 * reporting every second and one reporting every hour are judged each by its own rhythm. These are
 * the holes a vendor's backfill is meant to fill.
 */

import { type WindowBounds, type WindowName, windowBounds } from "../averages/windows.ts";
import type { Sql } from "../db/connect.ts";

export interface Gap {
  /** The last reading before the gap (may lie before the window), epoch ms. */
  from: number;
  /** The first reading after it, epoch ms; null when the sensor has been silent since `from`. */
  to: number | null;
  /** Length up to `to`, or up to the window's end for an open gap. */
  ms: number;
}

export interface GapsAnswer {
  bounds: WindowBounds;
  /** Median interval between readings; null with fewer than three readings to estimate it from. */
  usualIntervalMs: number | null;
  /** Intervals longer than this are gaps: `multiple × usualIntervalMs`. */
  thresholdMs: number | null;
  gaps: Gap[];
}

export const DEFAULT_GAP_MULTIPLE = 3;

interface Row {
  usual_ms: number | null;
  gap_from: Date | null;
  gap_to: Date | null;
  last_ts: Date | null;
}

/**
 * One statement: the window's readings plus the last one before it (so a hole across the window's
 * start is seen), their intervals, the median, and the intervals longer than `multiple` medians.
 * Reads the primary key's index only (equipment_id, ts).
 */
export async function gaps(
  sql: Sql,
  query: { equipmentId: string; window: WindowName; at: number; multiple: number },
): Promise<GapsAnswer> {
  const bounds = windowBounds(query.window, query.at);
  const from = new Date(bounds.from);
  const to = new Date(bounds.to);
  const rows = await sql<Row[]>`
    with r as (
      select ts from readings where equipment_id = ${query.equipmentId} and ts > ${from} and ts <= ${to}
      union all
      (select ts from readings where equipment_id = ${query.equipmentId} and ts <= ${from}
       order by ts desc limit 1)
    ),
    d as (
      select lag(ts) over (order by ts) as prev, ts from r
    ),
    usual as (
      select percentile_cont(0.5) within group (order by extract(epoch from ts - prev) * 1000) as ms,
        count(*) as intervals
      from d where prev is not null and prev > ${from}
    )
    select case when usual.intervals >= 2 then usual.ms end as usual_ms,
      d.prev as gap_from, d.ts as gap_to, (select max(ts) from r) as last_ts
    from usual
    left join d on usual.intervals >= 2 and d.prev is not null
      and extract(epoch from d.ts - d.prev) * 1000 > ${query.multiple} * usual.ms
    order by d.ts`;

  const head = rows[0];
  const usual = head?.usual_ms ?? null;
  if (usual === null || head === undefined) {
    return { bounds, usualIntervalMs: null, thresholdMs: null, gaps: [] };
  }
  const threshold = query.multiple * usual;
  const found: Gap[] = rows
    .filter((row) => row.gap_from !== null && row.gap_to !== null)
    .map((row) => ({
      from: row.gap_from!.getTime(),
      to: row.gap_to!.getTime(),
      ms: row.gap_to!.getTime() - row.gap_from!.getTime(),
    }));
  // A silence still going on at the window's end is a gap too, open-ended.
  const last = head.last_ts?.getTime();
  if (last !== undefined && bounds.to - last > threshold) {
    found.push({ from: last, to: null, ms: bounds.to - last });
  }
  return { bounds, usualIntervalMs: usual, thresholdMs: threshold, gaps: found };
}
