/**
 * The step before the insert (ingest.ts): readings that are not measurements (screen.ts) go to the
 * `set_aside` table with their source and reason, and only the rest go on to `readings`, the rollups
 * and the averages. Set-aside readings keep the identity rules: the same identity and value again is a
 * duplicate; another value for an identity already set aside or stored is a conflict (the first value
 * stays, the conflict is recorded in `conflicts`), whichever of the two tables holds the first.
 *
 * Locks: `set_aside`, then `set_aside_summary`, each in key order, all before ingest.ts takes any of
 * its own — so a writer that sets readings aside waits in the same table order as every other writer.
 * Known gap: two concurrent transactions, one storing a measurement and one setting aside another
 * value for the same identity, can both succeed (the tables do not share a unique key); each is still
 * counted and visible.
 */
import type { Reading } from "@plantlink/shared";
import type { TransactionSql } from "../db/connect.ts";
import type { SetAsideReason } from "../db/schema.ts";
import { type IngestOptions, type IngestResult, ingestInTransaction, tsSpan } from "./ingest.ts";
import { markChanged } from "./ingest-marks.ts";
import { NO_SCREEN, type SensorScreen, setAsideReason } from "./screen.ts";

export interface ScreenedResult extends IngestResult {
  /** Readings newly set aside (a repeat of one already set aside is a duplicate). */
  setAside: number;
}

/** Ingests `readings`, setting aside those that are not measurements; `sentinels` are the global ones. */
export async function ingestScreened(
  tx: TransactionSql,
  readings: readonly Reading[],
  source: string,
  sentinels: readonly number[],
  options?: IngestOptions,
): Promise<ScreenedResult> {
  const screened = await screenReadings(tx, readings, source, sentinels);
  const stored = await ingestInTransaction(tx, screened.kept, source, options);
  // The equipment list shows each sensor's set-aside count: cached lists must see this transaction.
  if (screened.setAside > 0) await markChanged(tx, ...tsSpan(readings));
  return {
    inserted: stored.inserted,
    duplicates: stored.duplicates + screened.duplicates,
    conflicts: stored.conflicts + screened.conflicts,
    setAside: screened.setAside,
  };
}

interface Screened {
  /** The readings that go on to the insert. */
  kept: Reading[];
  setAside: number;
  duplicates: number;
  conflicts: number;
}

interface SensorRules extends SensorScreen {
  /**
   * The instant of the sensor's latest set-aside reading, if any: a measurement at or before it may
   * repeat a set-aside identity; a later one (every live reading) cannot.
   */
  lastSetAsideTs: number | null;
}

/** Sets aside what is not a measurement and sorts out identities already held by `set_aside`. */
export async function screenReadings(
  tx: TransactionSql,
  readings: readonly Reading[],
  source: string,
  sentinels: readonly number[],
): Promise<Screened> {
  const result: Screened = { kept: [], setAside: 0, duplicates: 0, conflicts: 0 };
  if (readings.length === 0) return result;
  const rules = await rulesOf(tx, readings);
  const aside: { reading: Reading; reason: SetAsideReason }[] = [];
  for (const reading of readings) {
    const reason = setAsideReason(reading.centi, sentinels, rules.get(reading.equipmentId) ?? NO_SCREEN);
    if (reason) aside.push({ reading, reason });
  }
  if (aside.length === 0 && rules.size === 0) {
    result.kept = readings as Reading[];
    return result;
  }
  const asideSet = new Set(aside.map((a) => a.reading));
  const asideSensors = new Set(aside.map((a) => a.reading.equipmentId));
  // Measurements whose identity may already be set aside: checked before the insert, so that the first
  // value of an identity stays whichever table holds it.
  const suspects: Reading[] = [];
  for (const reading of readings) {
    if (asideSet.has(reading)) continue;
    const last = rules.get(reading.equipmentId)?.lastSetAsideTs ?? null;
    if ((last !== null && reading.ts <= last) || asideSensors.has(reading.equipmentId))
      suspects.push(reading);
    else result.kept.push(reading);
  }

  const missed = aside.length > 0 ? await insertSetAside(tx, aside, source) : [];
  result.setAside = aside.length - missed.length;
  const compared = await compareWithStored(tx, missed, source, "readings and set-aside");
  for (const [i, reading] of missed.entries()) {
    const stored = compared[i];
    // Only a concurrent retention drop could make an identity vanish between the two statements.
    if (stored === undefined || stored === null)
      throw new Error(`a set-aside reading of ${reading.equipmentId} vanished during ingest; retry`);
    if (stored === reading.centi) result.duplicates++;
    else result.conflicts++;
  }
  // Measurements are compared with the set-aside table only: ingest.ts compares them with readings.
  const clashes = await compareWithStored(tx, suspects, source, "set-aside");
  for (const [i, reading] of suspects.entries()) {
    const stored = clashes[i];
    if (stored === undefined || stored === null) result.kept.push(reading);
    else if (stored === reading.centi) result.duplicates++;
    else result.conflicts++;
  }
  return result;
}

/** The screening of the batch's sensors that have one, or have readings set aside already. */
async function rulesOf(tx: TransactionSql, readings: readonly Reading[]): Promise<Map<string, SensorRules>> {
  const ids = [...new Set(readings.map((r) => r.equipmentId))];
  // Comma-joined text, as ingest.ts sends ids: no id can hold a comma.
  const rows = await tx<
    {
      equipment_id: string;
      sentinels_centi: string[] | null;
      valid_min_centi: string | null;
      valid_max_centi: string | null;
      last_set_aside_ms: string | null;
    }[]
  >`
    select i.equipment_id, l.sentinels_centi, l.valid_min_centi, l.valid_max_centi,
      (extract(epoch from s.last_ts) * 1000)::bigint as last_set_aside_ms
    from unnest(string_to_array(${ids.join(",")}::text, ',')) as i(equipment_id)
    left join equipment_limits l using (equipment_id)
    left join set_aside_summary s using (equipment_id)
    where s.equipment_id is not null or cardinality(l.sentinels_centi) > 0
      or l.valid_min_centi is not null or l.valid_max_centi is not null`;
  return new Map(
    rows.map((row) => [
      row.equipment_id,
      {
        sentinels: (row.sentinels_centi ?? []).map(Number),
        validMin: row.valid_min_centi === null ? null : Number(row.valid_min_centi),
        validMax: row.valid_max_centi === null ? null : Number(row.valid_max_centi),
        lastSetAsideTs: row.last_set_aside_ms === null ? null : Number(row.last_set_aside_ms),
      },
    ]),
  );
}

const key = (r: Reading) => `${r.equipmentId} ${r.ts}`;

/**
 * Inserts the set-aside readings whose identity is neither set aside nor stored yet, and counts them
 * into each sensor's summary, in one statement. Returns the readings that did not go in.
 */
async function insertSetAside(
  tx: TransactionSql,
  aside: readonly { reading: Reading; reason: SetAsideReason }[],
  source: string,
): Promise<Reading[]> {
  const sorted = [...aside].sort((a, b) =>
    a.reading.equipmentId !== b.reading.equipmentId
      ? a.reading.equipmentId < b.reading.equipmentId
        ? -1
        : 1
      : a.reading.ts - b.reading.ts,
  );
  const inserted = await tx<{ equipment_id: string; ts_ms: string }[]>`
    with input as (
      select i.equipment_id,
        to_timestamp(i.ts_ms / 1000) + (i.ts_ms % 1000) * interval '1 millisecond' as ts,
        i.value_centi, i.reason, i.ord
      from unnest(
        ${sorted.map((a) => a.reading.equipmentId)}::text[],
        ${sorted.map((a) => a.reading.ts)}::bigint[],
        ${sorted.map((a) => a.reading.centi)}::bigint[],
        ${sorted.map((a) => a.reason)}::text[]
      ) with ordinality as i(equipment_id, ts_ms, value_centi, reason, ord)
    ),
    inserted as (
      insert into set_aside (equipment_id, ts, value_centi, source, reason)
      select equipment_id, ts, value_centi, ${source}, reason from input i
      where not exists (select from readings r where r.equipment_id = i.equipment_id and r.ts = i.ts)
      order by ord
      on conflict do nothing
      returning equipment_id, ts, value_centi, reason
    ),
    summary as (
      insert into set_aside_summary as s (equipment_id, count, last_ts, last_centi, last_reason)
      select distinct on (equipment_id) equipment_id, count(*) over (partition by equipment_id), ts,
        value_centi, reason
      from inserted order by equipment_id, ts desc
      on conflict (equipment_id) do update set
        count = s.count + excluded.count,
        last_ts = greatest(s.last_ts, excluded.last_ts),
        last_centi = case when excluded.last_ts > s.last_ts then excluded.last_centi else s.last_centi end,
        last_reason = case when excluded.last_ts > s.last_ts then excluded.last_reason else s.last_reason end
    )
    select equipment_id, (extract(epoch from ts) * 1000)::bigint::text as ts_ms from inserted`;
  const went = new Set(inserted.map((row) => `${row.equipment_id} ${row.ts_ms}`));
  // A repeat inside the batch finds its identity taken by the first: it is counted as missed, too.
  const missed: Reading[] = [];
  for (const { reading } of sorted) {
    const k = key(reading);
    if (went.has(k)) went.delete(k);
    else missed.push(reading);
  }
  return missed;
}

/**
 * Each reading's stored value for its identity — from `set_aside`, and from `readings` too when asked —
 * or null when none holds it; a different value is recorded as a conflict. A statement of its own, so
 * it sees what concurrent writers committed while the insert waited for them.
 */
async function compareWithStored(
  tx: TransactionSql,
  readings: readonly Reading[],
  source: string,
  tables: "readings and set-aside" | "set-aside",
): Promise<(number | null)[]> {
  if (readings.length === 0) return [];
  const stored =
    tables === "set-aside"
      ? tx`s.value_centi`
      : tx`coalesce(
          (select r.value_centi from readings r where r.equipment_id = i.equipment_id and r.ts = i.ts),
          s.value_centi)`;
  // Comma-joined text, as ingest.ts sends a batch (listInput): array parameters cost more to encode.
  const rows = await tx<{ ord: string; stored: string | null }[]>`
    with input as (
      select i.equipment_id,
        to_timestamp(i.ts_ms / 1000) + (i.ts_ms % 1000) * interval '1 millisecond' as ts, i.value_centi, i.ord
      from unnest(
        string_to_array(${readings.map((r) => r.equipmentId).join(",")}::text, ','),
        string_to_array(${readings.map((r) => r.ts).join(",")}::text, ',')::bigint[],
        string_to_array(${readings.map((r) => r.centi).join(",")}::text, ',')::bigint[]
      ) with ordinality as i(equipment_id, ts_ms, value_centi, ord)
    ),
    compared as (
      select i.*, ${stored} as stored_centi
      from input i
      left join set_aside s on s.equipment_id = i.equipment_id and s.ts = i.ts
    ),
    recorded as (
      insert into conflicts (equipment_id, ts, stored_centi, rejected_centi, source)
      select equipment_id, ts, stored_centi, value_centi, ${source}
      from compared where stored_centi <> value_centi
    )
    select ord::text, stored_centi::text as stored from compared order by ord`;
  return rows.map((row) => (row.stored === null ? null : Number(row.stored)));
}
