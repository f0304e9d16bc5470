/**
 * Monthly partitions of `readings` (see drizzle/0001_readings_partitioned.sql for why and how). Run
 * ahead of time by maintenance; a month without its partition still takes inserts (the default
 * partition), creating the partition later moves that month's rows into it.
 */
import type { Sql } from "./connect.ts";

/** Ensures the partitions of `months` UTC months starting with the month of `from`; returns how many it made. */
export async function ensureReadingsPartitions(sql: Sql, from: Date, months: number): Promise<number> {
  const [row] = await sql<{ created: number }[]>`
    select plantlink_ensure_readings_partitions(${from.toISOString()}::timestamptz, ${months}::int) as created`;
  return row?.created ?? 0;
}

/** Retention: drops every monthly partition that ends at or before `cutoff`; returns their names. */
export async function dropReadingsPartitionsBefore(sql: Sql, cutoff: Date): Promise<string[]> {
  const rows = await sql<{ name: string }[]>`
    select plantlink_drop_readings_partitions_before(${cutoff.toISOString()}::timestamptz) as name`;
  return rows.map((row) => row.name);
}
