/**
 * A PostgreSQL for a bench: the embedded server with its durable defaults (or DATABASE_URL's server),
 * one fresh migrated database, and the postmaster's pid for CPU accounting. The server can be stopped
 * and started again on the same data and port — the PostgreSQL fault needs exactly that.
 */
import { chmod, mkdir } from "node:fs/promises";
import { join } from "node:path";
import { connectDatabase, type Sql } from "../../central/src/db/connect.ts";
import { type EmbeddedPostgres, startEmbeddedPostgres } from "../../central/src/db/embedded-postgres.ts";
import { freePort } from "../../central/src/db/free-port.ts";
import { migrate } from "../../central/src/db/migrate.ts";

export interface BenchDatabase {
  /** URL of the bench's own database. */
  url: string;
  /** A small pool on it, for counting what was stored. */
  sql: Sql;
  pgPid(): number | undefined;
  /** Fast shutdown of the embedded server (not available on an external one). */
  stopServer(): Promise<void>;
  startServer(): Promise<void>;
  close(): Promise<void>;
}

export async function startBenchDatabase(workDir: string, name: string): Promise<BenchDatabase> {
  await mkdir(workDir, { recursive: true });
  await chmod(workDir, 0o755); // the embedded server runs as the postgres user and must reach its data
  const external = process.env.DATABASE_URL || undefined;
  const port = await freePort();
  const dataDir = join(workDir, "pg");
  let pg: EmbeddedPostgres | undefined = external
    ? undefined
    : await startEmbeddedPostgres({ dataDir, port });
  const serverUrl = external ?? pg?.url ?? "";
  const dbName = `${name}_${process.pid}`;
  const url = new URL(serverUrl);
  url.pathname = `/${dbName}`;
  const admin = connectDatabase(serverUrl, { max: 1 });
  await admin.unsafe(`create database ${dbName}`);
  await admin.end();
  const sql = connectDatabase(url.toString(), { max: 2 });
  await migrate(sql);
  return {
    url: url.toString(),
    sql,
    pgPid: () => pg?.pid,
    async stopServer() {
      if (!pg) throw new Error("DATABASE_URL is an external server: the bench cannot stop it");
      await pg.stop();
    },
    async startServer() {
      if (external) return;
      pg = await startEmbeddedPostgres({ dataDir, port });
    },
    async close() {
      await sql.end({ timeout: 5 });
      if (external) {
        const again = connectDatabase(serverUrl, { max: 1 });
        await again.unsafe(`drop database if exists ${dbName} with (force)`);
        await again.end();
      }
      await pg?.stop();
    },
  };
}
