/**
 * Each edge site as central knows it: when it last synced, what it said about its backlog with its
 * last batch, and how many readings it has delivered — today (UTC) and in total. Counts are readings
 * stored (new identities), so a resent batch never counts twice.
 *
 * Read from two small tables the edge-batch ingest keeps in the same transaction as the readings
 * (`edges`, `edge_days`), never from `readings`: at a site's 2,000 readings/s, counting those would
 * scan billions of rows.
 */
import type { Sql } from "../db/connect.ts";

export interface EdgeSummary {
  edgeId: string;
  lastSyncAt: Date;
  backlog: number | null;
  oldestUnsyncedMs: number | null;
  readingsToday: number;
  readingsTotal: number;
}

export async function listEdges(sql: Sql): Promise<EdgeSummary[]> {
  // bigint → text → Number: postgres.js returns int8 as strings; these counts stay far below 2^53.
  const rows = await sql<
    {
      edgeId: string;
      lastSyncAt: Date;
      backlog: string | null;
      oldestUnsyncedMs: string | null;
      readingsToday: string;
      readingsTotal: string;
    }[]
  >`
    select e.edge_id as "edgeId", e.last_sync_at as "lastSyncAt", e.backlog::text as backlog,
      e.oldest_unsynced_ms::text as "oldestUnsyncedMs", coalesce(d.readings, 0)::text as "readingsToday",
      e.readings_total::text as "readingsTotal"
    from edges e
    left join edge_days d on d.edge_id = e.edge_id and d.day = (now() at time zone 'UTC')::date
    order by e.edge_id`;
  return rows.map((row) => ({
    edgeId: row.edgeId,
    lastSyncAt: row.lastSyncAt,
    backlog: row.backlog === null ? null : Number(row.backlog),
    oldestUnsyncedMs: row.oldestUnsyncedMs === null ? null : Number(row.oldestUnsyncedMs),
    readingsToday: Number(row.readingsToday),
    readingsTotal: Number(row.readingsTotal),
  }));
}
