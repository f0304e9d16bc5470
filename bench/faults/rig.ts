/**
 * What every fault scenario starts from: its own PostgreSQL (so stopping it touches nothing else),
 * central and an edge as child processes (SIGKILL-able, like production), the edge forwarding to
 * central with short retries, and the check at the end — every acknowledged reading at central once.
 */
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { createTokenStore } from "../../central/src/auth/tokens.ts";
import { freePort } from "../../central/src/db/free-port.ts";
import { type CentralLedger, countMissing, readCentral } from "../../test/e2e/support/ledger.ts";
import { type Child, centralChild, edgeChild, edgeStatus } from "../../test/e2e/support/processes.ts";
import { type BenchDatabase, startBenchDatabase } from "../support/postgres.ts";

export interface FaultResult {
  fault: string;
  acknowledged: number;
  lost: number;
  duplicated: number;
  recovery: string;
  notes: string;
}

export interface Rig {
  db: BenchDatabase;
  central: Child;
  centralUrl: string;
  edge: Child;
  mqttPort: number;
  httpPort: number;
  token(role: "ingest" | "vendor"): Promise<string>;
  /** Waits until the edge has nothing unsynced and nothing in flight; returns how long that took. */
  drained(maxMs: number): Promise<number>;
  close(): Promise<void>;
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export async function startRig(
  workDir: string,
  name: string,
  edgeEnv: Record<string, string> = {},
): Promise<Rig> {
  mkdirSync(workDir, { recursive: true });
  const db = await startBenchDatabase(workDir, name);
  const edgeId = `site-${name}`;
  const tokens = createTokenStore(db.sql);
  const { token: edgeToken } = await tokens.create({ role: "edge", name: "fault edge", edgeId });
  const [centralPort, mqttPort, httpPort] = [await freePort(), await freePort(), await freePort()];
  const centralUrl = `http://127.0.0.1:${centralPort}`;
  const central = centralChild({
    databaseUrl: db.url,
    port: centralPort,
    dataDir: join(workDir, "central"),
    logFile: join(workDir, "central.log"),
  });
  const edge = edgeChild({
    edgeId,
    dataDir: join(workDir, "edge"),
    mqttPort,
    httpPort,
    centralUrl,
    centralToken: edgeToken,
    logFile: join(workDir, "edge.log"),
    env: {
      // Short timeouts and backoff, as in the chaos test: recovery is measured, not the default backoff cap.
      PLANTLINK_FORWARD_BATCH_READINGS: "1000",
      PLANTLINK_FORWARD_CONNECT_TIMEOUT_MS: "1000",
      // Generous: on a loaded machine central may take seconds per batch, and a timeout resends it.
      PLANTLINK_FORWARD_REQUEST_TIMEOUT_MS: "30000",
      PLANTLINK_FORWARD_BACKOFF_BASE_MS: "100",
      PLANTLINK_FORWARD_BACKOFF_MAX_MS: "1000",
      PLANTLINK_FORWARD_LIVE_LAG_MS: "2000",
      ...edgeEnv,
    },
  });
  return {
    db,
    central,
    centralUrl,
    edge,
    mqttPort,
    httpPort,
    token: async (role) => (await tokens.create({ role, name: `fault ${role}` })).token,
    async drained(maxMs) {
      const started = Date.now();
      for (;;) {
        const status = await edgeStatus<{ buffered: number; sync?: { inFlight?: number } }>(httpPort);
        if (status && status.buffered === 0 && (status.sync?.inFlight ?? 0) === 0)
          return Date.now() - started;
        if (Date.now() - started > maxMs)
          throw new Error(`the edge did not drain: ${JSON.stringify(status)}`);
        await sleep(200);
      }
    },
    async close() {
      await edge.kill9();
      await central.kill9();
      await db.close();
    },
  };
}

/** Acknowledged readings missing at central (or with another value), and identities stored twice. */
export function verdict(
  acked: Map<string, number>,
  ledger: CentralLedger,
): { lost: number; duplicated: number } {
  return {
    lost: countMissing(acked, ledger.readings),
    // `readings` is keyed by identity: more rows than identities means one was stored twice.
    duplicated: ledger.rows - ledger.readings.size + Math.max(0, ledger.rollupCount - ledger.rows),
  };
}

export { readCentral };
