/** Applies the checked-in drizzle-kit migrations (central/drizzle/) with drizzle's postgres.js migrator. */

import { fileURLToPath } from "node:url";
import { drizzle } from "drizzle-orm/postgres-js";
import { migrate as drizzleMigrate } from "drizzle-orm/postgres-js/migrator";
import type { Sql } from "./connect.ts";
import { ensureReadingsPartitions } from "./partitions.ts";

export const migrationsFolder = fileURLToPath(new URL("../../drizzle", import.meta.url));

// Any constant shared by every plantlink process; pg_advisory_lock keys are global to the database.
const MIGRATION_LOCK = 7_206_001;

/**
 * Brings the database to the latest migration; a no-op when it is already there. Safe to run from
 * several processes at once (each `serve` may migrate at start-up): drizzle's migrator reads the last
 * applied migration outside its transaction, so two unguarded runs would both apply the same one.
 * Needs a pool of at least two connections: one holds the lock while the migrator uses another.
 * Also makes sure the readings partitions of the current month and the next three exist (a service
 * running for months keeps them coming with maintainReadingsPartitions).
 */
export async function migrate(sql: Sql, now: Date = new Date()): Promise<void> {
  if (sql.options.max < 2) throw new Error("migrate needs a connection pool of at least 2 connections");
  const lock = await sql.reserve();
  try {
    await lock`select pg_advisory_lock(${MIGRATION_LOCK})`;
    try {
      await drizzleMigrate(drizzle(isolatedOptions(sql)), { migrationsFolder });
      await ensureReadingsPartitions(sql, now, 4);
    } finally {
      await lock`select pg_advisory_unlock(${MIGRATION_LOCK})`;
    }
  } finally {
    lock.release();
  }
}

/**
 * drizzle(client) rewrites the client's type parsers and serializers in place (timestamps become
 * strings, jsonb parameters pass through unencoded). The migrator reads neither, so it gets a view of
 * our client with its own copy of the options, and the caller's client keeps behaving as before.
 */
function isolatedOptions(sql: Sql): Sql {
  const view: Sql = Object.create(sql);
  Object.defineProperty(view, "options", {
    value: {
      ...sql.options,
      parsers: { ...sql.options.parsers },
      serializers: { ...sql.options.serializers },
    },
  });
  return view;
}
