/**
 * Central outlives its database: PostgreSQL stopped while central serves requests. Central must answer
 * 503 with Retry-After (never a 2xx for a reading it could not store, never a hang), keep running,
 * say it is not ready, and serve again by itself once PostgreSQL is back — with exactly the readings
 * it acknowledged stored.
 *
 * It runs its own PostgreSQL, since it has to stop it. (It does not reproduce the postgres.js crash
 * patched in patches/postgres@3.4.9.patch, which needed heavier load: `pnpm bench faults --only
 * postgres` is where that was seen.)
 */
import { chmodSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { createTokenStore } from "../../central/src/auth/tokens.ts";
import { connectDatabase } from "../../central/src/db/connect.ts";
import { type EmbeddedPostgres, startEmbeddedPostgres } from "../../central/src/db/embedded-postgres.ts";
import { freePort } from "../../central/src/db/free-port.ts";
import { migrate } from "../../central/src/db/migrate.ts";
import { centralChild } from "./support/processes.ts";

const workDir = mkdtempSync(join(tmpdir(), "plantlink-pg-outage-"));
chmodSync(workDir, 0o755); // the server runs as the postgres user and must reach its data
let passed = false;
afterAll(() => {
  if (passed) rmSync(workDir, { recursive: true, force: true });
  else console.log(`[pg-outage] logs kept in ${workDir}`);
});

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe("central when PostgreSQL goes away", () => {
  it("answers errors while it is down, stays up, and stores again when it is back", async () => {
    const pgPort = await freePort();
    const startPg = () =>
      startEmbeddedPostgres({ dataDir: join(workDir, "pg"), port: pgPort, settings: { fsync: "off" } });
    let pg: EmbeddedPostgres | undefined = await startPg();
    const url = new URL(pg.url);
    const admin = connectDatabase(url.toString(), { max: 1 });
    await admin.unsafe("create database outage");
    await admin.end();
    url.pathname = "/outage";
    const sql = connectDatabase(url.toString(), { max: 2 });
    await migrate(sql);
    const { token } = await createTokenStore(sql).create({ role: "ingest", name: "outage" });
    await sql.end();

    const port = await freePort();
    const central = centralChild({
      databaseUrl: url.toString(),
      port,
      dataDir: join(workDir, "central"),
      logFile: join(workDir, "central.log"),
      env: { PLANTLINK_DB_POOL_MAX: "4" },
    });
    const base = `http://127.0.0.1:${port}`;
    const acked = new Set<string>();
    const sent: string[] = [];
    let k = 0;
    const post = async (): Promise<number> => {
      const timestamp = new Date(Date.UTC(2026, 0, 1) + k++ * 1000).toISOString();
      sent.push(timestamp);
      const response = await fetch(`${base}/v1/readings`, {
        method: "POST",
        headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
        body: JSON.stringify({ equipmentId: "EQ-OUTAGE", value: 1.5, timestamp }),
        signal: AbortSignal.timeout(10_000),
      }).catch(() => undefined);
      if (!response) return 0;
      await response.arrayBuffer();
      if (response.status === 202) acked.add(timestamp);
      return response.status;
    };
    const ready = async () => (await fetch(`${base}/readyz`).catch(() => undefined))?.status;

    try {
      await central.start();
      for (let i = 0; i < 20; i++) expect(await post()).toBe(202);

      // Requests in flight while the server goes down, then requests against no server at all.
      const during = Array.from({ length: 8 }, () => post());
      const inFlight = new Set(sent.slice(-8));
      await pg.stop();
      pg = undefined;
      const down: number[] = await Promise.all(during);
      for (let i = 0; i < 20; i++) down.push(await post());
      const refusals = down.slice(-20);
      expect(
        refusals.every((status) => status >= 500),
        `answers while down: ${refusals}`,
      ).toBe(true);
      const refused = await fetch(`${base}/v1/readings`, {
        method: "POST",
        headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
        body: JSON.stringify({ equipmentId: "EQ-OUTAGE", value: 1, timestamp: "2025-01-01T00:00:00Z" }),
      });
      expect(refused.headers.get("retry-after")).toBe("5");
      expect(await refused.json()).toMatchObject({
        status: 503,
        type: "urn:plantlink:problem:database_unavailable",
      });
      expect(await ready()).toBe(503);
      expect(central.running()).toBe(true);

      pg = await startPg();
      let back = 0;
      for (let i = 0; i < 300 && back !== 202; i++) {
        back = await post();
        if (back !== 202) await sleep(100);
      }
      expect(back).toBe(202);
      for (let i = 0; i < 20; i++) expect(await post()).toBe(202);
      expect(await ready()).toBe(200);
      expect(central.running()).toBe(true);
      expect(central.starts()).toBe(1);

      const check = connectDatabase(url.toString(), { max: 1 });
      const rows = await check<{ ts: Date }[]>`select ts from readings where equipment_id = 'EQ-OUTAGE'`;
      await check.end();
      // Every acknowledged reading is stored. Beyond those, only a request in flight at the moment of
      // the stop may have been committed without its answer getting out (the client retries those);
      // nothing sent while the server was down or refused afterwards was stored.
      const stored = new Set(rows.map((row) => row.ts.toISOString()));
      expect([...acked].filter((ts) => !stored.has(ts))).toEqual([]);
      expect([...stored].filter((ts) => !acked.has(ts) && !inFlight.has(ts))).toEqual([]);
      expect(acked.size).toBeGreaterThanOrEqual(41);
      passed = true;
    } finally {
      await central.kill9();
      await pg?.stop();
    }
  }, 180_000);
});
