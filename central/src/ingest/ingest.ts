/**
 * The one ingest path into central's database, used for edge batches, direct readings and CSV backfill:
 * insert validated readings, keep the rollups (10 minutes, hour, 6 hours, day, week) and the equipment
 * summary in step with the rows actually inserted (same transaction), and sort every not-inserted
 * reading into a duplicate (same value as stored) or a conflict (different value; the first value
 * stays and the conflict is recorded).
 *
 * Concurrent writers cannot deadlock: every transaction takes its locks table by table in one order
 * (readings, then rollup_10min, rollup_hour, rollup_6h, rollup_day, rollup_week, equipment; conflicts
 * and ingest_marks have no key to wait on), and within a table in key order — the readings in the order
 * sorted here, the rest by each statement's ORDER BY.
 * Writers of the same sensors do wait for each other from their rollup update to their commit.
 */
import type { Reading } from "@plantlink/shared";
import postgres from "postgres";
import { ROLLUP_LEVELS, type RollupTable } from "../averages/rollup-levels.ts";
import type { Sql, TransactionSql } from "../db/connect.ts";
import { markChanged } from "./ingest-marks.ts";

export interface IngestResult {
  inserted: number;
  duplicates: number;
  conflicts: number;
}

/** Ingests `readings` in a transaction of its own. `source` is the edge id, `direct` or an upload id. */
export async function ingest(sql: Sql, readings: readonly Reading[], source: string): Promise<IngestResult> {
  if (readings.length === 0) return { inserted: 0, duplicates: 0, conflicts: 0 };
  return sql.begin((tx) => ingestInTransaction(tx, readings, source));
}

/**
 * How the batch reaches the server: its distinct identities, sorted, as a relation (equipment_id text,
 * ts_ms bigint, value_centi bigint, ord bigint) that the insert statement reads, ord being the 1-based
 * position in `rows`.
 */
export interface BatchInput {
  /** Work before the statement, in the same transaction. */
  load?(tx: TransactionSql, rows: readonly Reading[]): Promise<void>;
  /** The relation, as it appears in the statement's FROM clause. */
  relation(tx: TransactionSql, rows: readonly Reading[]): postgres.Fragment;
}

/**
 * Three lists bound as text parameters of the one statement, split by the server. COPY into a
 * temporary table was measured against it with edge-sized batches and was slower (docs/performance.md,
 * "Central ingest"). Plain comma-separated text rather than array parameters: the client quotes and
 * escapes every element of an array, which cost ~0.6 µs a reading (docs/performance.md, "Backfill").
 * No element can hold a comma: an equipment id allows only A-Z a-z 0-9 . _ : - (shared/src/equipment-id.ts)
 * and the others are integers.
 */
export const listInput: BatchInput = {
  relation: (tx, rows) => {
    const ids = new Array<string>(rows.length);
    const instants = new Array<number>(rows.length);
    const centis = new Array<number>(rows.length);
    for (let i = 0; i < rows.length; i++) {
      const row = rows[i] as Reading;
      ids[i] = row.equipmentId;
      instants[i] = row.ts;
      centis[i] = row.centi;
    }
    return tx`
    unnest(
      string_to_array(${ids.join(",")}::text, ','),
      string_to_array(${instants.join(",")}::text, ',')::bigint[],
      string_to_array(${centis.join(",")}::text, ',')::bigint[]
    ) with ordinality as i(equipment_id, ts_ms, value_centi, ord)`;
  },
};

export interface IngestOptions {
  /** How the batch reaches the server; the bench compares others. */
  input?: BatchInput;
  /**
   * The caller expects every reading to be new (a backfill lane whose last batch was): try the plain
   * insert first (`insertAllNew`). Wrong guesses cost the work done before the first stored reading.
   */
  expectNew?: boolean;
}

/** The same, inside a transaction the caller owns (an edge batch records its answer in the same one). */
export async function ingestInTransaction(
  tx: TransactionSql,
  readings: readonly Reading[],
  source: string,
  options: IngestOptions = {},
): Promise<IngestResult> {
  return countOutcomes(await ingestEachInTransaction(tx, readings, source, options));
}

/** What became of one reading: stored, or not stored because its identity was (same or other value). */
export const INSERTED = 0;
export const DUPLICATE = 1;
export const CONFLICT = 2;

/** The counts of `outcomes[from..to)`. */
export function countOutcomes(outcomes: Uint8Array, from = 0, to = outcomes.length): IngestResult {
  const counts = [0, 0, 0];
  for (let i = from; i < to; i++) counts[outcomes[i]!]!++;
  return { inserted: counts[INSERTED]!, duplicates: counts[DUPLICATE]!, conflicts: counts[CONFLICT]! };
}

/**
 * The same, answering each reading's outcome (INSERTED, DUPLICATE or CONFLICT, by position in
 * `readings`): the group commit (group-commit.ts) ingests many requests in one transaction and answers
 * each its own counts. Of several readings with one identity, the earliest in `readings` is the one
 * offered to the insert, exactly as if they had arrived one after the other.
 */
export async function ingestEachInTransaction(
  tx: TransactionSql,
  readings: readonly Reading[],
  source: string,
  { input = listInput, expectNew = false }: IngestOptions = {},
): Promise<Uint8Array> {
  const outcomes = new Uint8Array(readings.length);
  if (readings.length === 0) return outcomes;
  const order = Array.from({ length: readings.length }, (_, i) => i);
  // Ties keep their position: repeats of one identity stay in arrival order.
  order.sort((a, b) => byIdentity(readings[a]!, readings[b]!) || a - b);
  // Only the first reading of each identity is offered to the insert; later ones cannot go in.
  const firsts: number[] = [];
  const missed: number[] = [];
  let last: Reading | undefined;
  for (const index of order) {
    const reading = readings[index]!;
    if (last && last.equipmentId === reading.equipmentId && last.ts === reading.ts) missed.push(index);
    else {
      firsts.push(index);
      last = reading;
    }
  }
  const firstReadings = firsts.map((index) => readings[index]!);
  await input.load?.(tx, firstReadings);
  const relation = input.relation(tx, firstReadings);
  const allNew = expectNew && (await insertAllNew(tx, source, relation));
  if (!allNew) {
    // Repeats inside the batch, and identities stored by writers that committed while we waited for
    // them (invisible to the first statement), are compared in a statement of their own.
    const unseen = await insertWithRollups(tx, readings, firsts, source, relation, outcomes);
    for (const index of unseen) missed.push(index);
  }
  if (missed.length > 0) await classifyMissed(tx, readings, missed, source, outcomes);
  if (countOutcomes(outcomes).inserted > 0) await markChanged(tx, ...tsSpan(firstReadings));
  return outcomes;
}

/**
 * The earliest and latest timestamp offered: a superset of what went in, which only ever makes the
 * answer cache recompute an answer it could have kept.
 */
export function tsSpan(readings: readonly Reading[]): [number, number] {
  let lo = Number.POSITIVE_INFINITY;
  let hi = Number.NEGATIVE_INFINITY;
  for (const reading of readings) {
    if (reading.ts < lo) lo = reading.ts;
    if (reading.ts > hi) hi = reading.ts;
  }
  return [lo, hi];
}

function byIdentity(a: Reading, b: Reading): number {
  if (a.equipmentId !== b.equipmentId) return a.equipmentId < b.equipmentId ? -1 : 1;
  return a.ts - b.ts;
}

/**
 * A batch expected to be all new: a plain insert and its rollups. A plain insert costs PostgreSQL
 * ~3 µs a reading less than one with ON CONFLICT, whose speculative insertion looks each key up
 * before inserting it and then confirms the row (docs/performance.md, "Backfill"). It runs in a
 * savepoint: when a reading is already stored, the unique violation undoes only this statement and
 * `insertWithRollups` sorts the batch out. The batch is in identity order, so one that repeats stored
 * readings from its start (a re-uploaded file) fails at once; one with repeats scattered through it
 * (an edge's batch with a few re-sent readings) would waste up to the whole statement, which is why
 * only callers that expect new readings try this. False when some reading was already stored.
 */
async function insertAllNew(
  tx: TransactionSql,
  source: string,
  relation: postgres.Fragment,
): Promise<boolean> {
  try {
    await tx.savepoint(
      (sp) => sp`
        with ${inputAndInsert(sp, source, relation, sp``)},
        ${rollUpInserted(sp, source)}
        select count(*) from inserted`,
    );
  } catch (error) {
    if (error instanceof postgres.PostgresError && error.code === UNIQUE_VIOLATION) return false;
    throw error;
  }
  return true;
}

/** Only the readings' primary key can raise it: every other insert of the statements has ON CONFLICT. */
const UNIQUE_VIOLATION = "23505";

/**
 * One statement: insert the readings (distinct identities, sorted), skipping identities already
 * stored; fold the rows that went in (RETURNING) into the rollups and the equipment summary; and
 * compare each reading that did not go in with the stored row, when the statement's snapshot shows
 * it (a row committed before the statement began) — recording conflicts and writing each one's
 * outcome. The rest come back unseen (their indexes in `readings`).
 */
async function insertWithRollups(
  tx: TransactionSql,
  readings: readonly Reading[],
  firsts: readonly number[],
  source: string,
  relation: postgres.Fragment,
  outcomes: Uint8Array,
): Promise<number[]> {
  const rows = await tx<{ ord: string; stored: string | null }[]>`
    with ${inputAndInsert(tx, source, relation, tx`on conflict do nothing`)},
    ${rollUpInserted(tx, source)},
    -- Usually every reading went in: then the count says so, and the anti-join below (two sorts of
    -- the whole batch) is never run.
    missed as (
      select i.* from input i
      where (select count(*) from inserted) < ${firsts.length}
        and not exists (select from inserted n where n.equipment_id = i.equipment_id and n.ts = i.ts)
    ),
    compared as (
      select m.ord, m.equipment_id, m.ts, m.value_centi, s.value_centi as stored_centi
      from missed m left join readings s on s.equipment_id = m.equipment_id and s.ts = m.ts
    ),
    recorded as (
      insert into conflicts (equipment_id, ts, stored_centi, rejected_centi, source)
      select equipment_id, ts, stored_centi, value_centi, ${source}
      from compared where stored_centi <> value_centi
    )
    select ord, stored_centi as stored from compared`;
  const unseen: number[] = [];
  for (const row of rows) {
    const index = firsts[Number(row.ord) - 1]!;
    if (row.stored === null) unseen.push(index);
    else outcomes[index] = Number(row.stored) === readings[index]!.centi ? DUPLICATE : CONFLICT;
  }
  return unseen;
}

/** The CTEs `input` (the batch) and `inserted` (what of it went in), with the insert's conflict clause. */
function inputAndInsert(
  sql: TransactionSql,
  source: string,
  relation: postgres.Fragment,
  onConflict: postgres.Fragment,
): postgres.Fragment {
  return sql`
    input as (
      -- Integer seconds plus whole milliseconds: exact for any instant, unlike a fractional float.
      select i.equipment_id, to_timestamp(i.ts_ms / 1000) + (i.ts_ms % 1000) * interval '1 millisecond' as ts,
        i.value_centi, i.ord
      from ${relation}
    ),
    inserted as (
      insert into readings (equipment_id, ts, value_centi, source)
      select equipment_id, ts, value_centi, ${source} from input order by ord
      ${onConflict}
      returning equipment_id, ts, value_centi
    )`;
}

/**
 * The CTEs that fold `inserted` into every rollup level and the equipment summary. Each inserted row
 * is aggregated once, into 10-minute groups; the coarser levels are aggregated from those (every
 * level's buckets are multiples of its length since the epoch, so they nest). The 10-minute level and
 * each bucket's first and last reading serve the window queries (central/src/averages/rollup-levels.ts).
 */
function rollUpInserted(sql: TransactionSql, source: string): postgres.Fragment {
  return sql`
    tens as (
      select equipment_id, date_bin('10 minutes', ts, timestamptz '1970-01-01 00:00:00+00') as bucket,
        count(*) as count, sum(value_centi) as sum_centi, min(value_centi) as min_centi,
        max(value_centi) as max_centi, sum(value_centi::numeric * value_centi) as sum_sq_centi,
        min(ts) as first_ts, max(ts) as last_ts
      from inserted group by 1, 2
    ),
    tenmin as (
      insert into rollup_10min as r (equipment_id, bucket, count, sum_centi, min_centi, max_centi, sum_sq_centi,
        first_ts, last_ts)
      select * from tens order by equipment_id, bucket
      ${mergeIntoRollup(sql)}
    ),
    hour as (
      ${rollUpTens(sql, "rollup_hour")}
    ),
    six_hours as (
      ${rollUpTens(sql, "rollup_6h")}
    ),
    day as (
      ${rollUpTens(sql, "rollup_day")}
    ),
    week as (
      ${rollUpTens(sql, "rollup_week")}
    ),
    latest as (
      insert into equipment as e (equipment_id, first_ts, last_ts, last_centi, last_source, reading_count)
      select distinct on (equipment_id) equipment_id, min(ts) over (partition by equipment_id), ts,
        value_centi, ${source}, count(*) over (partition by equipment_id)
      from inserted order by equipment_id, ts desc
      on conflict (equipment_id) do update set
        reading_count = e.reading_count + excluded.reading_count,
        first_ts = least(e.first_ts, excluded.first_ts),
        last_ts = greatest(e.last_ts, excluded.last_ts),
        last_centi = case when excluded.last_ts > e.last_ts then excluded.last_centi else e.last_centi end,
        last_source = case when excluded.last_ts > e.last_ts then excluded.last_source else e.last_source end
    )`;
}

/**
 * How a rollup row takes in the inserted rows of its bucket: every aggregate merged with the stored
 * one. The same for each level, which is what lets a coarser level be read where finer ones were written.
 */
function mergeIntoRollup(tx: TransactionSql): postgres.Fragment {
  return tx`
      on conflict (equipment_id, bucket) do update set
        count = r.count + excluded.count,
        sum_centi = r.sum_centi + excluded.sum_centi,
        min_centi = least(r.min_centi, excluded.min_centi),
        max_centi = greatest(r.max_centi, excluded.max_centi),
        sum_sq_centi = r.sum_sq_centi + excluded.sum_sq_centi,
        first_ts = least(r.first_ts, excluded.first_ts),
        last_ts = greatest(r.last_ts, excluded.last_ts)`;
}

/** A level above 10 minutes from the statement's 10-minute groups (`tens`), merged into its rollup. */
function rollUpTens(tx: TransactionSql, table: Exclude<RollupTable, "rollup_10min">): postgres.Fragment {
  const { width } = ROLLUP_LEVELS.find((level) => level.table === table)!;
  // Literals, not parameters: the statement text stays the one PostgreSQL has planned.
  return tx`
      insert into ${tx(table)} as r (equipment_id, bucket, count, sum_centi, min_centi, max_centi,
        sum_sq_centi, first_ts, last_ts)
      select equipment_id, date_bin(${tx.unsafe(`'${width}'`)}, bucket, timestamptz '1970-01-01 00:00:00+00'),
        sum(count), sum(sum_centi), min(min_centi), max(max_centi), sum(sum_sq_centi), min(first_ts),
        max(last_ts)
      from tens group by 1, 2 order by 1, 2
      ${mergeIntoRollup(tx)}`;
}

/**
 * Compares readings that did not go in with the stored value of their identity, recording conflicts
 * and writing each one's outcome. A new statement sees the rows of concurrent writers that committed
 * while our insert waited for them.
 */
async function classifyMissed(
  tx: TransactionSql,
  readings: readonly Reading[],
  missed: readonly number[],
  source: string,
  outcomes: Uint8Array,
): Promise<void> {
  const rows = await tx<{ ord: string; stored: string }[]>`
    with missed as (
      select m.equipment_id, to_timestamp(m.ts_ms / 1000) + (m.ts_ms % 1000) * interval '1 millisecond' as ts,
        m.value_centi, m.ord
      from unnest(
        ${missed.map((i) => readings[i]!.equipmentId)}::text[],
        ${missed.map((i) => readings[i]!.ts)}::bigint[],
        ${missed.map((i) => readings[i]!.centi)}::bigint[]
      ) with ordinality as m(equipment_id, ts_ms, value_centi, ord)
    ),
    compared as (
      select m.ord, m.equipment_id, m.ts, m.value_centi, s.value_centi as stored_centi
      from missed m join readings s on s.equipment_id = m.equipment_id and s.ts = m.ts
    ),
    recorded as (
      insert into conflicts (equipment_id, ts, stored_centi, rejected_centi, source)
      select equipment_id, ts, stored_centi, value_centi, ${source}
      from compared where stored_centi <> value_centi
    )
    select ord, stored_centi as stored from compared`;
  if (rows.length !== missed.length) {
    // Only a concurrent retention drop of the reading's partition can make a stored identity vanish.
    throw new Error(`${missed.length - rows.length} stored readings vanished during ingest; retry`);
  }
  for (const row of rows) {
    const index = missed[Number(row.ord) - 1]!;
    outcomes[index] = Number(row.stored) === readings[index]!.centi ? DUPLICATE : CONFLICT;
  }
}
