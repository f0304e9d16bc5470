/**
 * The window answer for many sensors at once — average, count, sum, min, max, first and last reading,
 * and status — in one SQL statement over the rollups (whole buckets) and the raw readings (the edges),
 * as rollup-levels.ts decomposes the window, and the status's baseline in a second one beside it.
 *
 * Exactness (DESIGN.md guarantee 4): the sums and counts are exact integers (hundredths, numeric), and
 * the average is `round((sum / count) / 100, 4)` computed by PostgreSQL — the very division `avg()`
 * performs on the raw rows — so it equals `round(avg(value) , 4)` over the raw rows digit for digit,
 * and is then sent as the nearest JSON number. Four decimals: values have two, so the mean is shown
 * to a hundredth of the sensor's resolution.
 */
import { centiTextToNumber, centiToNumber, formatTimestamp } from "@plantlink/shared";
import type { Sql } from "../db/connect.ts";
import {
  type Baseline,
  type LimitsCenti,
  type Status,
  type StatusThresholds,
  sensorStatus,
} from "../equipment/status.ts";
import { windowRange } from "./decompose.ts";
import { pieces } from "./rollup-levels.ts";
import { WINDOWS, type WindowBounds, type WindowName, windowBounds } from "./windows.ts";

const DAY_MS = 86_400_000;
export const BASELINE_DAYS = 7;

export interface AveragesQuery {
  window: WindowName;
  /** The window's end (`now`), epoch ms. */
  at: number;
  /** Only these sensors; undefined for every sensor with readings in the window. */
  equipmentIds?: readonly string[] | undefined;
}

export interface SensorWindow {
  equipmentId: string;
  average: number;
  count: number;
  sum: number;
  min: number;
  max: number;
  /** The window's first and last reading, epoch ms. */
  first: number;
  last: number;
  status: Status;
  statusReason: string;
  /** The last-week baseline the status was judged against, in value units; null without history. */
  baseline: { mean: number; sd: number; count: number } | null;
}

export interface AveragesAnswer {
  bounds: WindowBounds;
  /** The whole UTC days the baseline covers: `[from, to)`, epoch ms. */
  baselineDays: { from: number; to: number };
  sensors: SensorWindow[];
}

/**
 * The baseline is the seven whole UTC days before the day the window starts in: read from the daily
 * rollups alone (cheap for 2,000 sensors), never overlapping the window it judges.
 */
export function baselineDays(bounds: WindowBounds): { from: number; to: number } {
  const to = Math.floor((bounds.from + 1) / DAY_MS) * DAY_MS;
  return { from: to - BASELINE_DAYS * DAY_MS, to };
}

/** A row of the `baselines` statement, as postgres.js returns it. */
interface BaselineRow {
  equipment_id: string;
  b_count: string;
  b_mean: number;
  b_sd: number;
  /** Epoch ms, as int8 text. */
  b_first_ms: string;
  b_last_ms: string;
}

/** The limits' columns of `figureColumns`. */
export interface LimitColumns {
  warning_low_centi: string | null;
  warning_high_centi: string | null;
  critical_low_centi: string | null;
  critical_high_centi: string | null;
  target_centi: string | null;
}

interface Row extends LimitColumns {
  equipment_id: string;
  count: string;
  sum_centi: string;
  min_centi: string;
  max_centi: string;
  /** Epoch ms, as int8 text. */
  first_ms: string;
  last_ms: string;
  average: string;
}

export async function averages(
  sql: Sql,
  query: AveragesQuery,
  thresholds: StatusThresholds,
): Promise<AveragesAnswer> {
  const bounds = windowBounds(query.window, query.at);
  const days = baselineDays(bounds);
  const [rows, base] = await Promise.all([
    averagesStatement(sql, bounds, query.equipmentIds),
    baselines(sql, days, query.equipmentIds),
  ]);
  return {
    bounds,
    baselineDays: days,
    sensors: rows.map((row) => toSensorWindow(row, base.get(row.equipment_id), bounds, thresholds)),
  };
}

/** The window statement behind `averages`, unexecuted: the benchmark EXPLAINs it. */
export function averagesStatement(sql: Sql, bounds: WindowBounds, ids: readonly string[] | undefined) {
  return sql<Row[]>`
    with w as (${windowFigures(sql, bounds, ids)})
    select w.equipment_id, ${figureColumns(sql)}
    from w
    left join equipment_limits l using (equipment_id)
    order by w.equipment_id`;
}

/** Per sensor with readings in the window: count, sum, min, max, first and last reading. */
export function windowFigures(sql: Sql, bounds: WindowBounds, ids: readonly string[] | undefined) {
  return sql`
    select equipment_id, sum(count)::int8 as count, sum(sum_centi) as sum_centi, min(min_centi) as min_centi,
      max(max_centi) as max_centi, min(first_ts) as first_ts, max(last_ts) as last_ts
    from (${pieces(sql, windowRange(bounds), ids, undefined, { rawBySensor: true })}) p
    group by equipment_id`;
}

/**
 * Every sensor's baseline for `days`, from the daily rollups, by equipment id. A statement of its own,
 * run beside the window's on a second connection: the two take about as long each, and a request
 * then waits for the longer one, not their sum.
 */
export async function baselines(
  sql: Sql,
  days: { from: number; to: number },
  ids: readonly string[] | undefined,
): Promise<Map<string, Baseline>> {
  const rows = await sql<BaselineRow[]>`
    select equipment_id, count as b_count, (sum_centi / count)::float8 as b_mean,
      -- The variance is exact (numeric); only its square root is a float, as the answer is.
      case when count > 1
        then sqrt((greatest(sum_sq_centi - sum_centi * sum_centi / count, 0) / (count - 1))::float8)
        else 0 end as b_sd,
      ${epochMs(sql, "first_ts")} as b_first_ms, ${epochMs(sql, "last_ts")} as b_last_ms
    from (
      select equipment_id, sum(count) as count, sum(sum_centi) as sum_centi, sum(sum_sq_centi) as sum_sq_centi,
        min(first_ts) as first_ts, max(last_ts) as last_ts
      from rollup_day
      where bucket >= ${new Date(days.from)} and bucket < ${new Date(days.to)}
        ${ids === undefined ? sql`` : sql`and equipment_id = any(${ids as string[]}::text[])`}
      group by equipment_id
    ) b`;
  return new Map(rows.map((row) => [row.equipment_id, baselineOf(row)]));
}

/**
 * An instant as epoch milliseconds. Thousands of timestamps per answer print and parse several times
 * faster as integers than as dates. Exact: `date_part` is the instant's microseconds over 10⁶ as a
 * float, off by a relative 10⁻¹⁶ at most (microseconds in any year up to 9999), and readings carry
 * whole milliseconds, so rounding to milliseconds gives them back.
 */
const epochMs = (sql: Sql, column: string) =>
  sql`round(date_part('epoch', ${sql.unsafe(column)}) * 1000)::int8`;

/**
 * The columns of `Row` from the window (`w`) and limits (`l`) relations. The average is PostgreSQL's
 * own numeric division, the one avg() does (see the file comment).
 */
export function figureColumns(sql: Sql) {
  return sql`
    w.count, w.sum_centi, w.min_centi, w.max_centi, ${epochMs(sql, "w.first_ts")} as first_ms,
    ${epochMs(sql, "w.last_ts")} as last_ms,
    round(w.sum_centi / w.count / 100, 4)::text as average,
    l.warning_low_centi, l.warning_high_centi, l.critical_low_centi, l.critical_high_centi, l.target_centi`;
}

function toSensorWindow(
  row: Row,
  base: Baseline | undefined,
  bounds: WindowBounds,
  thresholds: StatusThresholds,
): SensorWindow {
  const count = Number(row.count);
  const verdict = sensorStatus(
    {
      now: bounds.to,
      windowMs: WINDOWS[bounds.window].ms,
      count,
      average: Number(row.sum_centi) / count,
      first: Number(row.first_ms),
      last: Number(row.last_ms),
      baseline: base,
      limits: limitsOf(row),
    },
    thresholds,
  );
  return {
    equipmentId: row.equipment_id,
    average: Number(row.average),
    count,
    sum: centiTextToNumber(row.sum_centi),
    min: centiToNumber(Number(row.min_centi)),
    max: centiToNumber(Number(row.max_centi)),
    first: Number(row.first_ms),
    last: Number(row.last_ms),
    status: verdict.status,
    statusReason: verdict.reason,
    baseline:
      base === undefined || base.count === 0
        ? null
        : {
            mean: Math.round(base.mean * 100) / 10_000,
            sd: Math.round(base.sd * 100) / 10_000,
            count: base.count,
          },
  };
}

function baselineOf(row: BaselineRow): Baseline {
  const count = Number(row.b_count);
  return {
    count,
    mean: row.b_mean,
    sd: row.b_sd,
    intervalMs: count >= 2 ? (Number(row.b_last_ms) - Number(row.b_first_ms)) / (count - 1) : undefined,
  };
}

const centiOrNull = (text: string | null) => (text === null ? null : Number(text));

export function limitsOf(row: LimitColumns): LimitsCenti {
  return {
    warningLow: centiOrNull(row.warning_low_centi),
    warningHigh: centiOrNull(row.warning_high_centi),
    criticalLow: centiOrNull(row.critical_low_centi),
    criticalHigh: centiOrNull(row.critical_high_centi),
    target: centiOrNull(row.target_centi),
  };
}

/** The answer as the API sends it (timestamps as RFC 3339 UTC). */
export function averagesToJson(answer: AveragesAnswer) {
  return {
    window: answer.bounds.window,
    from: formatTimestamp(answer.bounds.from),
    to: formatTimestamp(answer.bounds.to),
    baselineFrom: formatTimestamp(answer.baselineDays.from),
    baselineTo: formatTimestamp(answer.baselineDays.to),
    sensors: answer.sensors.map((s) => ({
      ...s,
      first: formatTimestamp(s.first),
      last: formatTimestamp(s.last),
    })),
  };
}
