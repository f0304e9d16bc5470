/**
 * Central and an edge built in the test's own process (the same startCentral/startEdge the CLIs
 * call), for tests that look inside them: TLS set-ups, token revocation, a lost answer. Real sockets,
 * real PostgreSQL, a real SQLite file; only the process boundary is missing.
 */
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import type { Reading } from "@plantlink/shared";
import { pino } from "pino";
import { createTokenStore, type TokenStore } from "../../../central/src/auth/tokens.ts";
import { loadConfig } from "../../../central/src/config.ts";
import type { Sql } from "../../../central/src/db/connect.ts";
import { type Central, startCentral } from "../../../central/src/main.ts";
import { loadEdgeConfig } from "../../../edge/src/config.ts";
import { type Edge, startEdge } from "../../../edge/src/main.ts";
import type { EdgeStatus } from "../../../edge/src/status/status.ts";

export const silent = pino({ level: "silent" });

export async function centralInProcess(
  databaseUrl: string,
  dataDir: string,
  tls?: { cert: string; key: string },
): Promise<Central> {
  const config = loadConfig({
    DATABASE_URL: databaseUrl,
    PLANTLINK_CENTRAL_HOST: "127.0.0.1",
    PLANTLINK_CENTRAL_PORT: "0",
    PLANTLINK_CENTRAL_DATA_DIR: dataDir,
    PLANTLINK_CENTRAL_MIGRATE: "false",
    ...(tls ? { PLANTLINK_TLS_CERT: tls.cert, PLANTLINK_TLS_KEY: tls.key } : {}),
  });
  return startCentral(config, { log: silent });
}

export async function edgeToken(
  sql: Sql,
  edgeId: string,
): Promise<{ token: string; tokenId: string; store: TokenStore }> {
  const store = createTokenStore(sql);
  const { token, record } = await store.create({ role: "edge", name: `edge ${edgeId}`, edgeId });
  return { token, tokenId: record.tokenId, store };
}

export async function edgeInProcess(
  dataDir: string,
  edgeId: string,
  forward: Record<string, string>,
): Promise<Edge> {
  mkdirSync(dataDir, { recursive: true });
  const config = loadEdgeConfig({
    PLANTLINK_EDGE_ID: edgeId,
    PLANTLINK_EDGE_DATA_DIR: dataDir,
    PLANTLINK_EDGE_LISTEN_HOST: "127.0.0.1",
    PLANTLINK_MQTT_PORT: "0",
    PLANTLINK_EDGE_HTTP_PORT: "0",
    PLANTLINK_DISK_RESERVE_BYTES: "0",
    PLANTLINK_FORWARD_BACKOFF_BASE_MS: "50",
    PLANTLINK_FORWARD_BACKOFF_MAX_MS: "500",
    PLANTLINK_FORWARD_CONNECT_TIMEOUT_MS: "2000",
    PLANTLINK_FORWARD_REQUEST_TIMEOUT_MS: "5000",
    ...forward,
  });
  return startEdge(config, { logger: silent });
}

const BASE_TS = Date.UTC(2024, 0, 1);

/** Commits `count` readings straight into the edge's buffer (the ingest path is not under test here). */
export function commitReadings(edge: Edge, prefix: string, count: number): Reading[] {
  const readings: Reading[] = Array.from({ length: count }, (_, i) => ({
    equipmentId: `${prefix}-${i % 20}`,
    ts: BASE_TS + Math.floor(i / 20) * 1000,
    centi: i,
  }));
  edge.parts.buffer.commit(readings, [], Date.now());
  return readings;
}

export async function until<T>(
  read: () => T | Promise<T>,
  ok: (value: T) => boolean,
  timeoutMs = 20_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await read();
    if (ok(value)) return value;
    if (Date.now() > deadline) throw new Error(`timed out; last value: ${JSON.stringify(value)}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

export const syncOf = (edge: Edge) => {
  const sync = (edge.status() as EdgeStatus).sync;
  if (!sync) throw new Error("the edge reports no sync status");
  return sync;
};

export async function storedCount(sql: Sql, prefix: string): Promise<number> {
  const [row] = await sql<
    { n: number }[]
  >`select count(*)::int as n from readings where starts_with(equipment_id, ${prefix})`;
  return row?.n ?? 0;
}

export function dir(root: string, name: string): string {
  const path = join(root, name);
  mkdirSync(path, { recursive: true });
  return path;
}
