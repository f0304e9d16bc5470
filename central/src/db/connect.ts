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
    },
    // Idempotent DDL ("already exists, skipping") raises notices that are not news.
    onnotice: () => {},
  });
}
