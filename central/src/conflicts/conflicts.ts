/**
 * A sensor's recent conflicts: readings sent again for an instant already stored, with a different
 * value. The first value stays (DESIGN.md section 2) and each refused one is recorded by the ingest
 * path; this is how a person finds out that two sources disagree about the same sensor.
 */
import { centiToNumber } from "@plantlink/shared";
import type { Sql } from "../db/connect.ts";

export interface Conflict {
  /** The reading's instant, epoch ms. */
  timestamp: number;
  storedValue: number;
  rejectedValue: number;
  /** Who sent the refused value: an edge id, `direct`, or a backfill upload id. */
  source: string;
  /** When it was refused, epoch ms. */
  at: number;
}

export async function recentConflicts(
  sql: Sql,
  equipmentId: string,
  limit: number,
): Promise<{ total: number; conflicts: Conflict[] }> {
  // Conflicts are rare (a misbehaving source), so sorting one sensor's rows by `at` is cheap; the
  // primary key starts with equipment_id, which keeps the scan to this sensor.
  const [rows, [counted]] = await Promise.all([
    sql<{ ts: Date; stored_centi: string; rejected_centi: string; source: string; at: Date }[]>`
      select ts, stored_centi::text, rejected_centi::text, source, at from conflicts
      where equipment_id = ${equipmentId} order by at desc, id desc limit ${limit}`,
    sql<
      { total: number }[]
    >`select count(*)::int as total from conflicts where equipment_id = ${equipmentId}`,
  ]);
  return {
    total: counted?.total ?? 0,
    conflicts: rows.map((row) => ({
      timestamp: row.ts.getTime(),
      storedValue: centiToNumber(Number(row.stored_centi)),
      rejectedValue: centiToNumber(Number(row.rejected_centi)),
      source: row.source,
      at: row.at.getTime(),
    })),
  };
}
