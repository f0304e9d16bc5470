/**
 * The processes under HTTP load, each its own child so /proc tells their CPU apart: central (`pnpm
 * central serve` on the bench's PostgreSQL), an edge (`pnpm edge serve`, no forwarding, so its buffer
 * only grows) with a gateway token, and the bare Hono ceiling. Tokens are created the way an operator
 * would, in the token store and the edge registry.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { generateGatewayToken, hashToken, loadEdgeConfig, openStore } from "@plantlink/edge";
import { createTokenStore } from "../../central/src/auth/tokens.ts";
import { freePort } from "../../central/src/db/free-port.ts";
import {
  answers,
  type Child,
  centralChild,
  defineChild,
  repoRoot,
} from "../../test/e2e/support/processes.ts";
import type { BenchDatabase } from "../support/postgres.ts";

export interface Target {
  name: string;
  url: string;
  pid(): number | undefined;
  stop(): Promise<void>;
}

export async function startBare(): Promise<Target> {
  const child: ChildProcess = spawn(
    process.execPath,
    ["--import", "tsx", join(repoRoot, "bench/load/bare-hono.ts")],
    {
      cwd: repoRoot,
      stdio: ["ignore", "pipe", "inherit"],
    },
  );
  const first = await createInterface({ input: child.stdout! })[Symbol.asyncIterator]().next();
  const { port } = JSON.parse(String(first.value)) as { port: number };
  return {
    name: "bare Hono",
    url: `http://127.0.0.1:${port}`,
    pid: () => child.pid,
    stop: async () => {
      const exited = new Promise((r) => child.once("exit", r));
      child.kill("SIGTERM");
      await exited;
    },
  };
}

export async function startCentralTarget(
  db: BenchDatabase,
  workDir: string,
  workers: number,
): Promise<Target & { ingestToken: string; viewerToken: string; child: Child; workers: number }> {
  const tokens = createTokenStore(db.sql);
  const ingest = await tokens.create({ role: "ingest", name: "load ingest" });
  const viewer = await tokens.create({ role: "viewer", name: "load viewer" });
  const port = await freePort();
  const child = centralChild({
    databaseUrl: db.url,
    port,
    dataDir: join(workDir, `central-${workers}`),
    logFile: join(workDir, `central-${workers}.log`),
    env: { PLANTLINK_CENTRAL_MIGRATE: "false", PLANTLINK_CENTRAL_WORKERS: String(workers) },
  });
  await child.start();
  return {
    name: "central",
    workers,
    url: `http://127.0.0.1:${port}`,
    pid: () => child.pid(),
    stop: () => child.stop(),
    ingestToken: ingest.token,
    viewerToken: viewer.token,
    child,
  };
}

export async function startEdgeTarget(
  workDir: string,
): Promise<Target & { gatewayToken: string; httpPort: number; storedTwice(): number }> {
  const dataDir = join(workDir, "edge");
  mkdirSync(dataDir, { recursive: true });
  const httpPort = await freePort();
  const env = {
    PLANTLINK_EDGE_ID: "load-site",
    PLANTLINK_EDGE_DATA_DIR: dataDir,
    PLANTLINK_EDGE_LISTEN_HOST: "127.0.0.1",
    PLANTLINK_MQTT_PORT: String(await freePort()),
    PLANTLINK_EDGE_HTTP_PORT: String(httpPort),
    // The shared machine's disk is not what is measured; the reserve would refuse on a full /tmp.
    PLANTLINK_DISK_RESERVE_BYTES: "0",
    LOG_LEVEL: "warn",
  };
  const gatewayToken = generateGatewayToken();
  const store = openStore(loadEdgeConfig(env));
  store.registry.addGateway("load-gateway", hashToken(gatewayToken), Date.now());
  store.close();
  const child = defineChild({
    name: "edge",
    script: "edge/src/cli.ts",
    args: ["serve"],
    env,
    logFile: join(workDir, "edge.log"),
    ready: () => answers(`http://127.0.0.1:${httpPort}/healthz`),
  });
  await child.start();
  return {
    name: "edge",
    url: `http://127.0.0.1:${httpPort}`,
    pid: () => child.pid(),
    stop: () => child.stop(),
    gatewayToken,
    httpPort,
    // Every bench reading is distinct, so a (sensor, instant) in the buffer twice is one stored twice.
    // Read from the buffer file once the edge has stopped.
    storedTwice() {
      const read = openStore(loadEdgeConfig(env));
      try {
        const row = read.db
          .prepare(
            "SELECT count(*) - (SELECT count(*) FROM (SELECT DISTINCT equipment_id, ts FROM readings)) AS n FROM readings",
          )
          .get() as { n: number };
        return row.n;
      } finally {
        read.close();
      }
    },
  };
}
