/**
 * A migrated database for the long versions of the end-to-end runs (`pnpm bench chaos|offline`),
 * outside vitest's harness: DATABASE_URL's server when set, otherwise an embedded PostgreSQL with its
 * default, durable settings in `workDir`. The database is dropped and the server stopped at close().
 */
import { chmod, mkdir } from "node:fs/promises";
import { join } from "node:path";
import { connectDatabase, type Sql } from "../../../central/src/db/connect.ts";
import { startEmbeddedPostgres } from "../../../central/src/db/embedded-postgres.ts";
import { migrate } from "../../../central/src/db/migrate.ts";
import { freePort } from "../../../central/test/support/free-port.ts";

export interface BenchDatabase {
  sql: Sql;
  url: string;
  close(): Promise<void>;
}

export async function startBenchDatabase(workDir: string, name: string): Promise<BenchDatabase> {
  await mkdir(workDir, { recursive: true });
  await chmod(workDir, 0o755); // the embedded server runs as the postgres user and must reach its data
  const external = process.env.DATABASE_URL || undefined;
  const pg = external
    ? undefined
    : await startEmbeddedPostgres({ dataDir: join(workDir, "pg"), port: await freePort() });
  const serverUrl = external ?? pg?.url ?? "";
  const admin = connectDatabase(serverUrl, { max: 1 });
  const database = `${name}_${process.pid}`;
  await admin.unsafe(`create database ${database}`);
  const url = new URL(serverUrl);
  url.pathname = `/${database}`;
  const sql = connectDatabase(url.toString(), { max: 4 });
  await migrate(sql);
  return {
    sql,
    url: url.toString(),
    async close() {
      await sql.end({ timeout: 5 });
      await admin.unsafe(`drop database if exists ${database} with (force)`);
      await admin.end();
      await pg?.stop();
    },
  };
}
