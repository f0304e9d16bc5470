/**
 * Readiness: the database answers, and every checked-in migration is applied. The second check uses
 * drizzle's own rule (a migration is pending when its folder time is after the last applied one), so
 * `/readyz` and `pnpm central migrate` can never disagree about what "migrated" means.
 */
import { readMigrationFiles } from "drizzle-orm/migrator";
import type { Sql } from "../db/connect.ts";
import { migrationsFolder } from "../db/migrate.ts";
import type { Readiness } from "../http/context.ts";

/** How many checked-in migrations the database has not applied yet. */
export async function pendingMigrations(
  sql: Sql,
  migrations: readonly { folderMillis: number }[] = readMigrationFiles({ migrationsFolder }),
): Promise<number> {
  const [table] = await sql<{ exists: boolean }[]>`
    select to_regclass('drizzle.__drizzle_migrations') is not null as exists`;
  if (!table?.exists) return migrations.length;
  const [last] = await sql<{ created_at: string }[]>`
    select created_at::text from drizzle.__drizzle_migrations order by created_at desc limit 1`;
  const applied = last ? Number(last.created_at) : 0;
  return migrations.filter((m) => m.folderMillis > applied).length;
}

export function createReadiness(sql: Sql): () => Promise<Readiness> {
  // Read once: the checked-in migrations do not change while central runs.
  const migrations = readMigrationFiles({ migrationsFolder });
  return async () => {
    let pending: number;
    try {
      await sql`select 1`;
      pending = await pendingMigrations(sql, migrations);
    } catch (error) {
      return {
        ok: false,
        checks: {
          database: { ok: false, detail: `the database does not answer: ${(error as Error).message}` },
          migrations: { ok: false, detail: "unknown while the database does not answer" },
        },
      };
    }
    return {
      ok: pending === 0,
      checks: {
        database: { ok: true, detail: "reachable" },
        migrations:
          pending === 0
            ? { ok: true, detail: "all applied" }
            : { ok: false, detail: `${pending} migration(s) not applied; run pnpm central migrate` },
      },
    };
  };
}
