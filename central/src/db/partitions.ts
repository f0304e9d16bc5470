/**
 * Monthly partitions of `readings` (see drizzle/0001_readings_partitioned.sql for why and how). They are
 * made ahead of time; a month without its partition still takes inserts (the default partition), and
 * creating the partition later moves that month's rows into it.
 */
import { markEverything } from "../ingest/ingest-marks.ts";
import type { Sql } from "./connect.ts";

/** Ensures the partitions of `months` UTC months starting with the month of `from`; returns how many it made. */
export async function ensureReadingsPartitions(sql: Sql, from: Date, months: number): Promise<number> {
  const [row] = await sql<{ created: number }[]>`
    select plantlink_ensure_readings_partitions(${from.toISOString()}::timestamptz, ${months}::int) as created`;
  return row?.created ?? 0;
}

/**
 * Retention: drops every monthly partition that ends at or before `cutoff`; returns their names. The
 * raw rows of old windows' edges go, so cached answers are told, in the same transaction.
 */
export async function dropReadingsPartitionsBefore(sql: Sql, cutoff: Date): Promise<string[]> {
  return sql.begin(async (tx) => {
    const rows = await tx<{ name: string }[]>`
      select plantlink_drop_readings_partitions_before(${cutoff.toISOString()}::timestamptz) as name`;
    if (rows.length > 0) await markEverything(tx);
    return rows.map((row) => row.name);
  });
}

export interface PartitionMaintenanceOptions {
  /** How often to check; partitions are made months ahead, so a few times a day is plenty. */
  everyMs?: number;
  /** The current month and this many after it always have their partition. */
  monthsAhead?: number;
  now?: () => Date;
  /** A failed run is retried at the next interval; the caller logs it. */
  onError?: (error: unknown) => void;
}

/**
 * Keeps the partitions of the coming months in place while the service runs: once now, then every
 * `everyMs`. Returns `close()`, which stops the timer and waits for a run in progress.
 */
export function maintainReadingsPartitions(
  sql: Sql,
  options: PartitionMaintenanceOptions = {},
): { close(): Promise<void> } {
  const { everyMs = 6 * 3_600_000, monthsAhead = 3, now = () => new Date(), onError } = options;
  let running: Promise<void> = Promise.resolve();
  const run = () => {
    running = ensureReadingsPartitions(sql, now(), monthsAhead + 1).then(
      () => undefined,
      (error: unknown) => onError?.(error),
    );
  };
  run();
  const timer = setInterval(run, everyMs);
  timer.unref();
  return {
    close: async () => {
      clearInterval(timer);
      await running;
    },
  };
}
