/**
 * The two ends of the promise, read back: every reading central holds (as a multiset, so a duplicate
 * cannot hide) and every reading the edge's buffer file ever committed. The chaos and offline tests
 * compare these with what the devices were acknowledged.
 */
import type { Sql } from "../../../central/src/db/connect.ts";
import { openDatabase } from "../../../edge/src/buffer/database.ts";
import { identityKey } from "./publishers.ts";

export interface CentralLedger {
  /** identity → value in hundredths */
  readings: Map<string, number>;
  /** Rows in `readings`: equal to readings.size unless an identity is stored twice. */
  rows: number;
  /** Σ rollup_hour.count: the rollups must have counted each stored reading once. */
  rollupCount: number;
  /** Per edge, `edges.readings_total` and Σ inserted over its recorded batch answers. */
  edges: Map<string, { readingsTotal: number; answeredInserted: number; batches: number }>;
}

export async function readCentral(sql: Sql): Promise<CentralLedger> {
  const rows = await sql<{ equipmentId: string; ms: string; centi: string }[]>`
    select equipment_id as "equipmentId", floor(extract(epoch from ts) * 1000)::bigint::text as ms,
      value_centi::text as centi
    from readings`;
  const readings = new Map<string, number>();
  for (const row of rows) readings.set(identityKey(row.equipmentId, Number(row.ms)), Number(row.centi));
  const [rollup] = await sql<{ n: string | null }[]>`select sum(count)::text as n from rollup_hour`;
  const edgeRows = await sql<{ edgeId: string; total: string; inserted: string | null; batches: string }[]>`
    select e.edge_id as "edgeId", e.readings_total::text as total,
      (select sum((b.answer->>'inserted')::bigint) from edge_batches b where b.edge_id = e.edge_id)::text as inserted,
      (select count(*) from edge_batches b where b.edge_id = e.edge_id)::text as batches
    from edges e`;
  return {
    readings,
    rows: rows.length,
    rollupCount: Number(rollup?.n ?? 0),
    edges: new Map(
      edgeRows.map((r) => [
        r.edgeId,
        {
          readingsTotal: Number(r.total),
          answeredInserted: Number(r.inserted ?? 0),
          batches: Number(r.batches),
        },
      ]),
    ),
  };
}

export interface EdgeLedger {
  readings: Map<string, number>;
  /** Rows in the buffer (a device's resend after a lost PUBACK is a second row of one identity). */
  rows: number;
  unsynced: number;
}

/** Reads the edge's buffer file; call it while the edge is stopped (or read-only alongside it). */
export function readEdgeBuffer(file: string): EdgeLedger {
  const db = openDatabase(file, { synchronous: "NORMAL", readonly: true });
  try {
    const readings = new Map<string, number>();
    let rows = 0;
    for (const row of db
      .prepare("SELECT equipment_id, ts, centi FROM readings")
      .raw()
      .iterate() as IterableIterator<[string, number, number]>) {
      readings.set(identityKey(row[0], row[1]), row[2]);
      rows += 1;
    }
    const watermark = db.prepare("SELECT watermark FROM sync_state").pluck().get() as number;
    const top = (db.prepare("SELECT max(seq) FROM readings").pluck().get() as number | null) ?? 0;
    const ranges = db.prepare("SELECT first_seq, last_seq FROM synced_ranges").raw().all() as [
      number,
      number,
    ][];
    const inRanges = ranges.reduce((n, [a, b]) => n + (b - a + 1), 0);
    return { readings, rows, unsynced: Math.max(0, top - watermark) - inRanges };
  } finally {
    db.close();
  }
}

/** Keys of `a` missing from `b`, or present with another value; at most `limit` of them. */
export function missingOrDifferent(a: Map<string, number>, b: Map<string, number>, limit = 10): string[] {
  const out: string[] = [];
  for (const [key, value] of a) {
    const other = b.get(key);
    if (other !== value) out.push(`${key}=${value} (${other === undefined ? "missing" : `found ${other}`})`);
    if (out.length >= limit) break;
  }
  return out;
}

export function countMissing(a: Map<string, number>, b: Map<string, number>): number {
  let n = 0;
  for (const [key, value] of a) if (b.get(key) !== value) n += 1;
  return n;
}
