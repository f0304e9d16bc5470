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
import {
  CONFLICT,
  DUPLICATE,
  INSERTED,
  type IngestOptions,
  type IngestResult,
  ingestEachInTransaction,
  tsSpan,
} from "./ingest.ts";
import { markChanged } from "./ingest-marks.ts";
import { NO_SCREEN, type SensorScreen, setAsideReason } from "./screen.ts";

export interface ScreenedResult extends IngestResult {
  /** Readings newly set aside (a repeat of one already set aside is a duplicate). */
  setAside: number;
}

/** What became of a reading set aside; INSERTED, DUPLICATE and CONFLICT are ingest.ts's. */
export const SET_ASIDE = 3;

/** Ingests `readings`, setting aside those that are not measurements; `sentinels` are the global ones. */
export async function ingestScreened(
  tx: TransactionSql,
  readings: readonly Reading[],
  source: string,
  sentinels: readonly number[],
  options?: IngestOptions,
): Promise<ScreenedResult> {
  return countScreened(await ingestScreenedEach(tx, readings, source, sentinels, options));
}

/**
 * The same, answering each reading's outcome by position (INSERTED, DUPLICATE, CONFLICT or SET_ASIDE),
 * for the group commit, which answers each of its requests its own counts.
 */
export async function ingestScreenedEach(
  tx: TransactionSql,
  readings: readonly Reading[],
  source: string,
  sentinels: readonly number[],
  options?: IngestOptions,
): Promise<Uint8Array> {
  const screened = await screenReadings(tx, readings, source, sentinels);
  const kept = screened.keptAt.map((index) => readings[index]!);
  const stored = await ingestEachInTransaction(tx, kept, source, options);
  const { outcomes } = screened;
  for (const [k, index] of screened.keptAt.entries()) outcomes[index] = stored[k]!;
  // The equipment list shows each sensor's set-aside count: cached lists must see this transaction.
  if (outcomes.includes(SET_ASIDE)) await markChanged(tx, ...tsSpan(readings));
  return outcomes;
}

/** The counts of `outcomes[from..to)`. */
export function countScreened(outcomes: Uint8Array, from = 0, to = outcomes.length): ScreenedResult {
  const counts = [0, 0, 0, 0];
  for (let i = from; i < to; i++) counts[outcomes[i]!]!++;
  return {
    inserted: counts[INSERTED]!,
    duplicates: counts[DUPLICATE]!,
    conflicts: counts[CONFLICT]!,
    setAside: counts[SET_ASIDE]!,
  };
}

interface Screened {
  /** The positions of the readings that go on to the insert, in order. */
  keptAt: number[];
  /** The outcome of every reading not kept; the kept ones' are filled in after the insert. */
  outcomes: Uint8Array;
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
  const outcomes = new Uint8Array(readings.length);
  const everyIndex = () => Array.from({ length: readings.length }, (_, i) => i);
  if (readings.length === 0) return { keptAt: [], outcomes };
  const rules = await rulesOf(tx, readings);
  const aside: { index: number; reason: SetAsideReason }[] = [];
  for (const [index, reading] of readings.entries()) {
    const reason = setAsideReason(reading.centi, sentinels, rules.get(reading.equipmentId) ?? NO_SCREEN);
    if (reason) aside.push({ index, reason });
  }
  if (aside.length === 0 && rules.size === 0) return { keptAt: everyIndex(), outcomes };
  const asideAt = new Set(aside.map((a) => a.index));
  const asideSensors = new Set(aside.map((a) => readings[a.index]!.equipmentId));
  // Measurements whose identity may already be set aside: checked before the insert, so that the first
  // value of an identity stays whichever table holds it.
  const keptAt: number[] = [];
  const suspects: number[] = [];
  for (const [index, reading] of readings.entries()) {
    if (asideAt.has(index)) continue;
    const last = rules.get(reading.equipmentId)?.lastSetAsideTs ?? null;
    if ((last !== null && reading.ts <= last) || asideSensors.has(reading.equipmentId)) suspects.push(index);
    else keptAt.push(index);
  }

  const missed = aside.length > 0 ? await insertSetAside(tx, readings, aside, source) : [];
  const missedAt = new Set(missed);
  for (const { index } of aside) if (!missedAt.has(index)) outcomes[index] = SET_ASIDE;
  const compared = await compareWithStored(
    tx,
    missed.map((index) => readings[index]!),
    source,
    "readings and set-aside",
  );
  for (const [i, index] of missed.entries()) {
    const stored = compared[i];
    const reading = readings[index]!;
    // Only a concurrent retention drop could make an identity vanish between the two statements.
    if (stored === undefined || stored === null)
      throw new Error(`a set-aside reading of ${reading.equipmentId} vanished during ingest; retry`);
    outcomes[index] = stored === reading.centi ? DUPLICATE : CONFLICT;
  }
  // Measurements are compared with the set-aside table only: ingest.ts compares them with readings.
  const clashes = await compareWithStored(
    tx,
    suspects.map((index) => readings[index]!),
    source,
    "set-aside",
  );
  for (const [i, index] of suspects.entries()) {
    const stored = clashes[i];
    if (stored === undefined || stored === null) keptAt.push(index);
    else outcomes[index] = stored === readings[index]!.centi ? DUPLICATE : CONFLICT;
  }
  // The insert offers the earliest reading of an identity first: keep arrival order.
  keptAt.sort((a, b) => a - b);
  return { keptAt, outcomes };
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
 * into each sensor's summary, in one statement. Returns the positions of those that did not go in.
 */
async function insertSetAside(
  tx: TransactionSql,
  readings: readonly Reading[],
  aside: readonly { index: number; reason: SetAsideReason }[],
  source: string,
): Promise<number[]> {
  // Ties keep their position (a stable sort): of one identity's repeats, the earliest goes in.
  const sorted = aside
    .map(({ index, reason }) => ({ index, reason, reading: readings[index]! }))
    .sort((a, b) =>
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
  const missed: number[] = [];
  for (const { reading, index } of sorted) {
    const k = key(reading);
    if (went.has(k)) went.delete(k);
    else missed.push(index);
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
