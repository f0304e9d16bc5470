/**
 * Per-sensor limits (warning and critical bounds, an optional target) and screening (the sensor's own
 * error values and valid range, ingest/screen.ts), set by admins and read by everyone with a viewer token. Every change is kept in an audit trail with who made it and when, in
 * the same transaction as the change, so the trail cannot miss one.
 */
import { centiToNumber } from "@plantlink/shared";
import type { Sql } from "../db/connect.ts";
import { markEverything } from "../ingest/ingest-marks.ts";
import { NO_SCREEN, type SensorScreen, screenProblem } from "../ingest/screen.ts";
import type { LimitsCenti } from "./status.ts";

export const LIMIT_FIELDS = ["warningLow", "warningHigh", "criticalLow", "criticalHigh", "target"] as const;

export const NO_LIMITS: LimitsCenti = {
  warningLow: null,
  warningHigh: null,
  criticalLow: null,
  criticalHigh: null,
  target: null,
};

/** Everything set with PUT /v1/equipment/{id}/limits: the bounds the status judges, and the screening. */
export interface SensorLimits extends LimitsCenti, SensorScreen {}

export const NO_SENSOR_LIMITS: SensorLimits = { ...NO_LIMITS, ...NO_SCREEN };

export interface LimitsChange {
  at: Date;
  by: string;
  before: SensorLimits;
  after: SensorLimits;
}

export interface StoredLimits {
  equipmentId: string;
  limits: SensorLimits;
  updatedAt: Date | null;
  updatedBy: string | null;
  /** Newest first. */
  history: LimitsChange[];
}

export class LimitsOrderError extends Error {
  readonly code = "limits_out_of_order";
}

/**
 * The bounds must nest: critical low ≤ warning low ≤ warning high ≤ critical high, for those set.
 * Returns the reason when they do not, naming the pair.
 */
export function limitsOrderProblem(limits: LimitsCenti): string | undefined {
  const order = ["criticalLow", "warningLow", "warningHigh", "criticalHigh"] as const;
  for (let i = 0; i < order.length; i++) {
    for (let j = i + 1; j < order.length; j++) {
      const low = limits[order[i]!];
      const high = limits[order[j]!];
      if (low !== null && high !== null && low > high) {
        return `${order[i]} (${centiToNumber(low)}) must not be above ${order[j]} (${centiToNumber(high)})`;
      }
    }
  }
  return undefined;
}

interface LimitsRow {
  warning_low_centi: number | null;
  warning_high_centi: number | null;
  critical_low_centi: number | null;
  critical_high_centi: number | null;
  target_centi: number | null;
}

interface SensorLimitsRow extends LimitsRow {
  sentinels_centi: (number | string)[];
  valid_min_centi: number | string | null;
  valid_max_centi: number | string | null;
}

const fromRow = (row: LimitsRow): LimitsCenti => ({
  warningLow: row.warning_low_centi,
  warningHigh: row.warning_high_centi,
  criticalLow: row.critical_low_centi,
  criticalHigh: row.critical_high_centi,
  target: row.target_centi,
});

const fromSensorRow = (row: SensorLimitsRow): SensorLimits => ({
  ...fromRow(row),
  sentinels: row.sentinels_centi.map(Number),
  validMin: row.valid_min_centi === null ? null : Number(row.valid_min_centi),
  validMax: row.valid_max_centi === null ? null : Number(row.valid_max_centi),
});

/** An audit entry's limits; entries written before screening existed have no screening fields. */
const fromAudit = (json: Partial<SensorLimits>): SensorLimits => ({ ...NO_SENSOR_LIMITS, ...json });

const SENSOR_LIMITS_COLUMNS = `warning_low_centi, warning_high_centi, critical_low_centi, critical_high_centi,
  target_centi, sentinels_centi, valid_min_centi, valid_max_centi`;

const HISTORY_SHOWN = 20;

export async function readLimits(sql: Sql, equipmentId: string): Promise<StoredLimits> {
  const [current, history] = await Promise.all([
    sql<(SensorLimitsRow & { updated_at: Date; updated_by: string })[]>`
      select ${sql.unsafe(SENSOR_LIMITS_COLUMNS)}, updated_at, updated_by
      from equipment_limits where equipment_id = ${equipmentId}`,
    sql<{ at: Date; by_name: string; before: Partial<SensorLimits>; after: Partial<SensorLimits> }[]>`
      select at, by_name, before, after from equipment_limits_audit
      where equipment_id = ${equipmentId} order by id desc limit ${HISTORY_SHOWN}`,
  ]);
  const row = current[0];
  return {
    equipmentId,
    limits: row ? fromSensorRow(row) : NO_SENSOR_LIMITS,
    updatedAt: row?.updated_at ?? null,
    updatedBy: row?.updated_by ?? null,
    history: history.map((h) => ({
      at: h.at,
      by: h.by_name,
      before: fromAudit(h.before),
      after: fromAudit(h.after),
    })),
  };
}

/**
 * Replaces the sensor's limits (all unset clears them) and records the change. The row lock taken by
 * `for update` orders concurrent changes of one sensor, so each audit entry's `before` is exactly the
 * previous entry's `after`.
 */
export async function writeLimits(
  sql: Sql,
  equipmentId: string,
  limits: SensorLimits,
  by: { tokenId: string; name: string },
): Promise<StoredLimits> {
  const problem = limitsOrderProblem(limits) ?? screenProblem(limits);
  if (problem) throw new LimitsOrderError(problem);
  await sql.begin(async (tx) => {
    // Serialises the first write for a sensor too, when there is no row to lock yet.
    await tx`select pg_advisory_xact_lock(hashtext('plantlink_limits'), hashtext(${equipmentId}))`;
    const [old] = await tx<SensorLimitsRow[]>`
      select ${tx.unsafe(SENSOR_LIMITS_COLUMNS)}
      from equipment_limits where equipment_id = ${equipmentId} for update`;
    const before = old ? fromSensorRow(old) : NO_SENSOR_LIMITS;
    await tx`
      insert into equipment_limits as l (equipment_id, warning_low_centi, warning_high_centi,
        critical_low_centi, critical_high_centi, target_centi, sentinels_centi, valid_min_centi,
        valid_max_centi, updated_at, updated_by)
      values (${equipmentId}, ${limits.warningLow}, ${limits.warningHigh}, ${limits.criticalLow},
        ${limits.criticalHigh}, ${limits.target}, string_to_array(${limits.sentinels.join(",")}, ',')::bigint[],
        ${limits.validMin}, ${limits.validMax}, now(), ${by.name})
      on conflict (equipment_id) do update set
        warning_low_centi = excluded.warning_low_centi, warning_high_centi = excluded.warning_high_centi,
        critical_low_centi = excluded.critical_low_centi, critical_high_centi = excluded.critical_high_centi,
        target_centi = excluded.target_centi, sentinels_centi = excluded.sentinels_centi,
        valid_min_centi = excluded.valid_min_centi, valid_max_centi = excluded.valid_max_centi,
        updated_at = excluded.updated_at, updated_by = excluded.updated_by`;
    await tx`
      insert into equipment_limits_audit (equipment_id, by_token_id, by_name, before, after)
      values (${equipmentId}, ${by.tokenId}, ${by.name}, ${tx.json(toJson(before))}, ${tx.json(toJson(limits))})`;
    await markEverything(tx);
  });
  return readLimits(sql, equipmentId);
}

/** The limits map for many sensors at once (the averages answer's status), keyed by equipment id. */
export async function limitsOf(
  sql: Sql,
  equipmentIds: readonly string[] | undefined,
): Promise<Map<string, LimitsCenti>> {
  const rows = await sql<(LimitsRow & { equipment_id: string })[]>`
    select equipment_id, warning_low_centi, warning_high_centi, critical_low_centi, critical_high_centi, target_centi
    from equipment_limits
    ${equipmentIds ? sql`where equipment_id = any(${equipmentIds as string[]}::text[])` : sql``}`;
  return new Map(rows.map((row) => [row.equipment_id, fromRow(row)]));
}

const toJson = (limits: SensorLimits) => ({ ...limits, sentinels: [...limits.sentinels] });

const orNull = (centi: number | null) => (centi === null ? null : centiToNumber(centi));

/** Hundredths to the API's numbers. */
export function limitsToValues(limits: SensorLimits): Record<(typeof LIMIT_FIELDS)[number], number | null> & {
  sentinels: number[];
  validMin: number | null;
  validMax: number | null;
} {
  const out = {} as Record<(typeof LIMIT_FIELDS)[number], number | null>;
  for (const field of LIMIT_FIELDS) out[field] = orNull(limits[field]);
  return {
    ...out,
    sentinels: limits.sentinels.map(centiToNumber),
    validMin: orNull(limits.validMin),
    validMax: orNull(limits.validMax),
  };
}
