/** The PostgreSQL client every part of central uses: postgres.js, with the session settings we rely on. */
import postgres from "postgres";

export type Sql = postgres.Sql;
export type TransactionSql = postgres.TransactionSql;

export interface ConnectOptions {
  /** Pool size; concurrent ingest transactions each hold one connection. */
  max?: number;
  applicationName?: string;
}

export function connectDatabase(url: string, options: ConnectOptions = {}): Sql {
  return postgres(url, {
    max: options.max ?? 10,
    connection: {
      // Rollup buckets and partitions are UTC; a UTC session also makes timestamps print as UTC.
      TimeZone: "UTC",
      application_name: options.applicationName ?? "plantlink-central",
      // Central's reads are index range scans of rollups, each request on one core. A parallel plan
      // spends more starting and merging its workers than it saves, and takes the cores concurrent
      // requests need: the 1-month averages for 2,000 sensors took 1.7× as long with it
      // (docs/performance.md, "Averages").
      max_parallel_workers_per_gather: "0",
    },
    // Idempotent DDL ("already exists, skipping") raises notices that are not news.
    onnotice: () => {},
    // Seconds before a connection is tried again after failing. The library's default grows to 20 s,
    // so after a database restart requests kept failing (and waiting) long after it was back; a retry
    // a second is nothing to a database that is down and gets central serving again within a second.
    backoff: (retries: number) => (0.5 + Math.random() / 2) * Math.min(3 ** retries / 100, 1),
  });
}
