/**
 * The drain rig: an embedded PostgreSQL (durable defaults) or DATABASE_URL's server, central as a
 * child process serving HTTPS with a private CA, and an edge buffer file filled through the buffer
 * API. Each drain gets a fresh database cloned from a migrated template, so every run inserts.
 */
import { chmod, mkdir } from "node:fs/promises";
import { join } from "node:path";
import type { Reading } from "@plantlink/shared";
import { createTokenStore } from "../../central/src/auth/tokens.ts";
import { connectDatabase, type Sql } from "../../central/src/db/connect.ts";
import { startEmbeddedPostgres } from "../../central/src/db/embedded-postgres.ts";
import { freePort } from "../../central/src/db/free-port.ts";
import { migrate } from "../../central/src/db/migrate.ts";
import { createReadingBuffer, type ReadingBuffer } from "../../edge/src/buffer/buffer.ts";
import { type Db, openDatabase } from "../../edge/src/buffer/database.ts";
import { createQuarantine, type Quarantine } from "../../edge/src/buffer/quarantine.ts";
import { makePki, type Pki } from "../../test/e2e/support/certs.ts";
import { centralChild } from "../../test/e2e/support/processes.ts";

export const EDGE_ID = "bench-site";

export interface CentralUnderTest {
  pid: () => number | undefined;
  url: string;
  token: string;
  /** Empties every table the ingest writes, so the next run inserts again (tokens stay). */
  truncate(): Promise<void>;
  stop(): Promise<void>;
}

export interface Rig {
  pki: Pki;
  /** The postmaster's pid, for CPU accounting; undefined on an external server. */
  pgPid: number | undefined;
  edge: { db: Db; buffer: ReadingBuffer; quarantine: Quarantine };
  /** Starts central (HTTPS) on a fresh database of its own, with an edge token for it. */
  central(label: string): Promise<CentralUnderTest>;
  /** Makes readings with seq in [first, last] unsynced and every other reading synced. */
  unsyncRange(first: number, last: number): void;
  lastSeq(): number;
  close(): Promise<void>;
}

const BASE_TS = Date.UTC(2024, 0, 1);

/** `count` readings of `sensors` sensors, one per sensor per second: a site's real cadence. */
function* siteReadings(count: number, sensors: number): Generator<Reading[]> {
  for (let i = 0; i < count; i += 10_000) {
    const chunk: Reading[] = [];
    for (let j = i; j < Math.min(count, i + 10_000); j++) {
      chunk.push({
        equipmentId: `EQ-${String(j % sensors).padStart(5, "0")}`,
        ts: BASE_TS + Math.floor(j / sensors) * 1000,
        centi: ((j * 7919) % 200_000) - 100_000,
      });
    }
    yield chunk;
  }
}

export async function startRig(
  workDir: string,
  options: { readings: number; sensors: number },
): Promise<Rig> {
  await mkdir(workDir, { recursive: true });
  await chmod(workDir, 0o755); // the embedded server runs as the postgres user and must reach its data
  const pki = makePki(join(workDir, "pki"));
  const external = process.env.DATABASE_URL || undefined;
  const pg = external
    ? undefined
    : await startEmbeddedPostgres({ dataDir: join(workDir, "pg"), port: await freePort() });
  const serverUrl = external ?? pg?.url ?? "";
  const admin = connectDatabase(serverUrl, { max: 1 });
  const prefix = `sync_drain_${process.pid}`;
  const dbUrl = (name: string) => {
    const url = new URL(serverUrl);
    url.pathname = `/${name}`;
    return url.toString();
  };
  await admin.unsafe(`create database ${prefix}_template`);
  const templateSql = connectDatabase(dbUrl(`${prefix}_template`), { max: 2 });
  await migrate(templateSql);
  await templateSql.end();

  // NORMAL while filling (a benchmark's set-up needs no power-loss safety); the drain runs on FULL,
  // as the edge does, because marking synced is part of what is measured.
  const fillDb = openDatabase(join(workDir, "edge", "buffer.sqlite"), { synchronous: "NORMAL" });
  const fillBuffer = createReadingBuffer(fillDb, createQuarantine(fillDb));
  const receivedAt = Date.now() - 2 * 3_600_000; // a backlog two hours old: the live lane opens
  for (const chunk of siteReadings(options.readings, options.sensors))
    fillBuffer.commit(chunk, [], receivedAt);
  fillDb.close();
  const db = openDatabase(join(workDir, "edge", "buffer.sqlite"), { synchronous: "FULL" });
  const quarantine = createQuarantine(db);
  const buffer = createReadingBuffer(db, quarantine);

  let runs = 0;
  const databases: string[] = [];
  return {
    pki,
    pgPid: pg?.pid,
    edge: { db, buffer, quarantine },
    async central(label) {
      runs += 1;
      const name = `${prefix}_${runs}`;
      databases.push(name);
      await admin.unsafe(`create database ${name} template ${prefix}_template`);
      const sql: Sql = connectDatabase(dbUrl(name), { max: 1 });
      const { token } = await createTokenStore(sql).create({ role: "edge", name: "bench", edgeId: EDGE_ID });
      const port = await freePort();
      const child = centralChild({
        databaseUrl: dbUrl(name),
        port,
        dataDir: join(workDir, `central-${runs}`),
        logFile: join(workDir, `central-${runs}-${label.replace(/[^a-z0-9]+/gi, "-")}.log`),
        tls: { certFile: pki.server.cert, keyFile: pki.server.key, caFile: pki.ca.cert },
      });
      await child.start();
      return {
        pid: child.pid,
        url: `https://127.0.0.1:${port}`,
        token,
        truncate: async () => {
          // Every table but the tokens, whatever the schema holds by now (it grows with other features).
          const tables = await sql<{ name: string }[]>`
            select quote_ident(tablename) as name from pg_tables
            where schemaname = 'public' and tablename <> 'tokens'`;
          await sql.unsafe(`truncate ${tables.map((t) => t.name).join(", ")}`);
        },
        stop: async () => {
          await child.stop();
          await sql.end();
        },
      };
    },
    unsyncRange(first, last) {
      const top = buffer.stats().lastSeq;
      db.transaction(() => {
        db.prepare("DELETE FROM synced_ranges").run();
        db.prepare("UPDATE sync_state SET watermark = ?").run(Math.max(0, first - 1));
        if (last < top)
          db.prepare("INSERT INTO synced_ranges (first_seq, last_seq) VALUES (?, ?)").run(last + 1, top);
      }).immediate();
    },
    lastSeq: () => buffer.stats().lastSeq,
    async close() {
      db.close();
      for (const name of databases) await admin.unsafe(`drop database if exists ${name} with (force)`);
      await admin.unsafe(`drop database if exists ${prefix}_template with (force)`);
      await admin.end();
      await pg?.stop();
    },
  };
}
