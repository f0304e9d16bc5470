/**
 * Every known sensor: its first and last reading, last value, how many readings it has, who last sent
 * one (an edge, a direct client, or a backfill upload), and its window figures and status — the
 * dashboard's overview table in one statement. Sensors silent for the whole window are listed too
 * (status `silent`), which the averages answer, being about readings in the window, leaves out.
 */
import { centiToNumber } from "@plantlink/shared";
import {
  type BaselineColumns,
  baselineDays,
  baselineFigures,
  baselineOf,
  figureColumns,
  type LimitColumns,
  limitsOf,
  windowFigures,
} from "../averages/averages.ts";
import { WINDOWS, type WindowBounds, type WindowName, windowBounds } from "../averages/windows.ts";
import type { Sql } from "../db/connect.ts";
import { type Status, type StatusThresholds, sensorStatus } from "./status.ts";

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
}

interface Row extends BaselineColumns, LimitColumns {
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
  first_ts: Date | null;
  last_ts: Date | null;
  average: string | null;
  sum: string | null;
}

export async function listEquipment(
  sql: Sql,
  query: { window: WindowName; at: number; prefix?: string | undefined },
  thresholds: StatusThresholds,
): Promise<{ bounds: WindowBounds; equipment: EquipmentEntry[] }> {
  const bounds = windowBounds(query.window, query.at);
  const prefix = query.prefix ?? "";
  const rows = await sql<Row[]>`
    with w as (${windowFigures(sql, bounds, undefined)}),
    b as (${baselineFigures(sql, baselineDays(bounds), undefined)})
    select e.equipment_id, e.first_ts as e_first, e.last_ts as e_last, e.last_centi, e.reading_count,
      e.last_source,
      case when e.last_source = 'direct' then 'direct'
        when exists (select from edges where edge_id = e.last_source) then 'edge'
        else 'backfill' end as source_kind,
      ${figureColumns(sql)}
    from equipment e
    left join w using (equipment_id)
    left join b using (equipment_id)
    left join equipment_limits l using (equipment_id)
    where starts_with(e.equipment_id, ${prefix})
    order by e.equipment_id`;
  return { bounds, equipment: rows.map((row) => toEntry(row, bounds, thresholds)) };
}

function toEntry(row: Row, bounds: WindowBounds, thresholds: StatusThresholds): EquipmentEntry {
  const count = row.count === null ? 0 : Number(row.count);
  const verdict = sensorStatus(
    {
      now: bounds.to,
      windowMs: WINDOWS[bounds.window].ms,
      count,
      average: count === 0 ? 0 : Number(row.sum_centi) / count,
      first: row.first_ts?.getTime() ?? 0,
      last: row.last_ts?.getTime() ?? 0,
      baseline: baselineOf(row),
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
            first: row.first_ts!.getTime(),
            last: row.last_ts!.getTime(),
          },
    status: verdict.status,
    statusReason: verdict.reason,
  };
}
