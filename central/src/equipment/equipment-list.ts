/**
 * Every known sensor: its first and last reading, last value, how many readings it has, who last sent
 * one (an edge, a direct client, or a backfill upload), how many of its readings were set aside as not
 * measurements and the latest of them, and its window figures and status — the
 * dashboard's overview table in one request (two statements side by side). Sensors silent for the
 * whole window are listed too (status `silent`), which the averages answer, being about readings in
 * the window, leaves out.
 */
import { centiToNumber } from "@plantlink/shared";
import {
  baselineDays,
  baselines,
  figureColumns,
  type LimitColumns,
  limitsOf,
  windowFigures,
} from "../averages/averages.ts";
import { WINDOWS, type WindowBounds, type WindowName, windowBounds } from "../averages/windows.ts";
import type { Sql } from "../db/connect.ts";
import type { SetAsideReason } from "../db/schema.ts";
import { type Baseline, type Status, type StatusThresholds, sensorStatus } from "./status.ts";

export type SourceKind = "edge" | "direct" | "backfill";

export interface EquipmentEntry {
  equipmentId: string;
  firstReading: number;
  lastReading: number;
  lastValue: number;
  readingCount: number;
  lastSource: string;
  lastSourceKind: SourceKind;
  /** The window's figures; null when the sensor has no reading in it. */
  window: { average: number; count: number; min: number; max: number; first: number; last: number } | null;
  status: Status;
  statusReason: string;
  /** Readings set aside (error values, out of the valid range), ever; null when none. */
  setAside: { count: number; lastValue: number; lastTimestamp: number; lastReason: SetAsideReason } | null;
}

interface Row extends LimitColumns {
  equipment_id: string;
  e_first: Date;
  e_last: Date;
  last_centi: string;
  reading_count: string;
  last_source: string;
  source_kind: SourceKind;
  count: string | null;
  sum_centi: string | null;
  min_centi: string | null;
  max_centi: string | null;
  first_ms: string | null;
  last_ms: string | null;
  average: string | null;
  set_aside_count: string | null;
  set_aside_ts: Date | null;
  set_aside_centi: string | null;
  set_aside_reason: SetAsideReason | null;
}

export async function listEquipment(
  sql: Sql,
  query: { window: WindowName; at: number; prefix?: string | undefined },
  thresholds: StatusThresholds,
): Promise<{ bounds: WindowBounds; equipment: EquipmentEntry[] }> {
  const bounds = windowBounds(query.window, query.at);
  const prefix = query.prefix ?? "";
  const statement = sql<Row[]>`
    with w as (${windowFigures(sql, bounds, undefined)})
    select e.equipment_id, e.first_ts as e_first, e.last_ts as e_last, e.last_centi, e.reading_count,
      e.last_source,
      case when e.last_source = 'direct' then 'direct'
        when exists (select from edges where edge_id = e.last_source) then 'edge'
        else 'backfill' end as source_kind,
      ${figureColumns(sql)},
      a.count as set_aside_count, a.last_ts as set_aside_ts, a.last_centi as set_aside_centi,
      a.last_reason as set_aside_reason
    from equipment e
    left join w using (equipment_id)
    left join equipment_limits l using (equipment_id)
    left join set_aside_summary a using (equipment_id)
    where starts_with(e.equipment_id, ${prefix})
    order by e.equipment_id`;
  const [rows, base] = await Promise.all([statement, baselines(sql, baselineDays(bounds), undefined)]);
  return {
    bounds,
    equipment: rows.map((row) => toEntry(row, base.get(row.equipment_id), bounds, thresholds)),
  };
}

function toEntry(
  row: Row,
  base: Baseline | undefined,
  bounds: WindowBounds,
  thresholds: StatusThresholds,
): EquipmentEntry {
  const count = row.count === null ? 0 : Number(row.count);
  const verdict = sensorStatus(
    {
      now: bounds.to,
      windowMs: WINDOWS[bounds.window].ms,
      count,
      average: count === 0 ? 0 : Number(row.sum_centi) / count,
      first: Number(row.first_ms ?? 0),
      last: Number(row.last_ms ?? 0),
      baseline: base,
      limits: limitsOf(row),
    },
    thresholds,
  );
  return {
    equipmentId: row.equipment_id,
    firstReading: row.e_first.getTime(),
    lastReading: row.e_last.getTime(),
    lastValue: centiToNumber(Number(row.last_centi)),
    readingCount: Number(row.reading_count),
    lastSource: row.last_source,
    lastSourceKind: row.source_kind,
    window:
      count === 0
        ? null
        : {
            average: Number(row.average),
            count,
            min: centiToNumber(Number(row.min_centi)),
            max: centiToNumber(Number(row.max_centi)),
            first: Number(row.first_ms),
            last: Number(row.last_ms),
          },
    status: verdict.status,
    statusReason: verdict.reason,
    setAside:
      row.set_aside_count === null
        ? null
        : {
            count: Number(row.set_aside_count),
            lastValue: centiToNumber(Number(row.set_aside_centi)),
            lastTimestamp: (row.set_aside_ts as Date).getTime(),
            lastReason: row.set_aside_reason as SetAsideReason,
          },
  };
}
