/**
 * `pnpm central serve` with PLANTLINK_CENTRAL_WORKERS=2, as the real CLI in a child process: both
 * workers answer on the one port, a worker killed with SIGKILL is replaced while every acknowledged
 * reading stays stored, and SIGTERM drains the workers and ends every process.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { readFileSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { request } from "node:http";
import { type AddressInfo, createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, describe, expect, it } from "vitest";
import { createTokenStore } from "../../src/auth/tokens.ts";
import { WORKER_SEMI_SPACE_MB } from "../../src/cluster/primary.ts";
import { freePort } from "../../src/db/free-port.ts";
import { createTestDatabase } from "../support/test-database.ts";

const cli = fileURLToPath(new URL("../../src/cli.ts", import.meta.url));
const db = await createTestDatabase();
const dataDir = await mkdtemp(join(tmpdir(), "plantlink-workers-"));
const children: ChildProcess[] = [];
afterAll(async () => {
  for (const child of children) if (child.exitCode === null) child.kill("SIGKILL");
  await rm(dataDir, { recursive: true, force: true });
});
const { token: ingestToken } = await createTokenStore(db.sql).create({ role: "ingest", name: "workers" });

function spawnServe(port: number): { child: ChildProcess; log: () => string } {
  const child = spawn(process.execPath, ["--import", "tsx", cli, "serve"], {
    env: {
      PATH: process.env.PATH ?? "",
      HOME: process.env.HOME ?? "/root",
      DATABASE_URL: db.url,
      PLANTLINK_CENTRAL_DATA_DIR: dataDir,
      PLANTLINK_CENTRAL_HOST: "127.0.0.1",
      PLANTLINK_CENTRAL_PORT: String(port),
      PLANTLINK_CENTRAL_MIGRATE: "false",
      PLANTLINK_CENTRAL_WORKERS: "2",
      PLANTLINK_DB_POOL_MAX: "4",
      LOG_LEVEL: "info",
    },
    stdio: ["ignore", "pipe", "pipe"],
  });
  children.push(child);
  let out = "";
  child.stdout?.on("data", (chunk: Buffer) => (out += chunk.toString()));
  child.stderr?.on("data", (chunk: Buffer) => (out += chunk.toString()));
  return { child, log: () => out };
}

async function serve(): Promise<{ child: ChildProcess; url: string; log: () => string }> {
  const port = await freePort();
  const { child, log } = spawnServe(port);
  const deadline = Date.now() + 60_000;
  while (!log().includes('"msg":"central listening"')) {
    if (child.exitCode !== null || Date.now() > deadline) throw new Error(`serve did not start:\n${log()}`);
    await new Promise((r) => setTimeout(r, 50));
  }
  return { child, url: `http://127.0.0.1:${port}`, log };
}

/** One request on a connection of its own, so the cluster hands each to the next worker. */
function call(
  url: string,
  method: string,
  path: string,
  body?: string,
): Promise<{ status: number; text: string }> {
  return new Promise((resolve, reject) => {
    const req = request(
      `${url}${path}`,
      {
        method,
        agent: false,
        headers: {
          authorization: `Bearer ${ingestToken}`,
          "content-type": "application/json",
          connection: "close",
        },
      },
      (response) => {
        let text = "";
        response.on("data", (chunk: Buffer) => (text += chunk.toString()));
        response.on("end", () => resolve({ status: response.statusCode ?? 0, text }));
        response.on("error", reject);
      },
    );
    req.on("error", reject);
    // A request the cluster handed to a worker as it was killed must fail, not wait forever.
    req.setTimeout(10_000, () => req.destroy(new Error("timed out")));
    req.end(body);
  });
}

/** Requests served so far per worker pid, from the cluster-wide /metrics. */
async function servedByWorker(url: string): Promise<Map<number, number>> {
  const { text } = await call(url, "GET", "/metrics");
  const served = new Map<number, number>();
  for (const match of text.matchAll(/^plantlink_central_worker_requests_total\{pid="(\d+)"\} (\d+)$/gm)) {
    served.set(Number(match[1]), Number(match[2]));
  }
  return served;
}

const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

async function exited(child: ChildProcess): Promise<number | null> {
  if (child.exitCode !== null) return child.exitCode;
  return new Promise((resolve) => child.once("exit", (code) => resolve(code)));
}

let sequence = 0;
const reading = (prefix: string) => ({
  equipmentId: `${prefix}-${sequence % 7}`,
  value: sequence % 1000,
  timestamp: new Date(Date.UTC(2024, 0, 1) + sequence++ * 1000).toISOString(),
});

async function storedOf(readings: { equipmentId: string; timestamp: string }[]): Promise<number> {
  if (readings.length === 0) return 0;
  const ids = readings.map((r) => r.equipmentId);
  const times = readings.map((r) => r.timestamp);
  const [row] = await db.sql<{ n: number }[]>`
    select count(*)::int as n from readings r
    join unnest(${ids}::text[], ${times}::timestamptz[]) as a(equipment_id, ts)
      on r.equipment_id = a.equipment_id and r.ts = a.ts`;
  return row?.n ?? 0;
}

// Three processes start per test: slow on a busy machine.
describe("central with PLANTLINK_CENTRAL_WORKERS=2", { timeout: 120_000 }, () => {
  it("answers from both workers, which are not the primary", async () => {
    const central = await serve();
    try {
      for (let i = 0; i < 20; i += 1) expect((await call(central.url, "GET", "/healthz")).status).toBe(200);
      const served = await servedByWorker(central.url);
      expect(served.size).toBe(2);
      expect(served.has(central.child.pid ?? -1)).toBe(false);
      for (const count of served.values()) expect(count).toBeGreaterThan(0);
      // Each worker runs with the larger young generation (a request's garbage dies young).
      for (const pid of served.keys()) {
        const argv = readFileSync(`/proc/${pid}/cmdline`, "utf8").split("\0");
        expect(argv).toContain(`--max-semi-space-size=${WORKER_SEMI_SPACE_MB}`);
      }
    } finally {
      central.child.kill("SIGTERM");
      await exited(central.child);
    }
  });

  it("replaces a worker killed with SIGKILL, and loses nothing it acknowledged", async () => {
    const central = await serve();
    try {
      const before = [...(await servedByWorker(central.url)).keys()];
      expect(before).toHaveLength(2);
      const acked: { equipmentId: string; timestamp: string }[] = [];
      let running = true;
      const client = async () => {
        while (running) {
          const r = reading("KILL");
          const answer = await call(central.url, "POST", "/v1/readings", JSON.stringify(r)).catch(
            () => undefined,
          );
          if (answer?.status === 202) acked.push(r);
        }
      };
      const clients = [client(), client(), client(), client()];
      await new Promise((r) => setTimeout(r, 500));
      const victim = before[0] ?? -1;
      process.kill(victim, "SIGKILL");
      await new Promise((r) => setTimeout(r, 1500));
      running = false;
      await Promise.all(clients);

      expect(acked.length).toBeGreaterThan(0);
      expect(await storedOf(acked)).toBe(acked.length);
      const deadline = Date.now() + 20_000;
      let after = [...(await servedByWorker(central.url)).keys()];
      while (after.length < 2 && Date.now() < deadline) {
        await new Promise((r) => setTimeout(r, 200));
        after = [...(await servedByWorker(central.url)).keys()];
      }
      expect(after).toHaveLength(2);
      expect(after).not.toContain(victim);
      expect(central.log()).toContain("a central worker died; starting a new one");
    } finally {
      central.child.kill("SIGTERM");
      await exited(central.child);
    }
  });

  it("fails the start, saying why, when the workers cannot listen", async () => {
    const taken = createServer();
    await new Promise<void>((resolve) => taken.listen(0, "127.0.0.1", resolve));
    try {
      const { child, log } = spawnServe((taken.address() as AddressInfo).port);
      expect(await exited(child)).toBe(1);
      expect(log()).toMatch(/a central worker could not start: .*EADDRINUSE/);
    } finally {
      await new Promise((resolve) => taken.close(resolve));
    }
  });

  it("drains the requests in flight on SIGTERM and ends every process", async () => {
    const central = await serve();
    const workers = [...(await servedByWorker(central.url)).keys()];
    const sent = Array.from({ length: 20 }, () => reading("TERM"));
    const answers = sent.map((r) =>
      call(central.url, "POST", "/v1/readings", JSON.stringify(r)).catch(() => undefined),
    );
    await new Promise((r) => setTimeout(r, 20));
    central.child.kill("SIGTERM");
    const settled = await Promise.all(answers);
    expect(await exited(central.child)).toBe(0);
    const acked = sent.filter((_, i) => settled[i]?.status === 202);
    expect(await storedOf(acked)).toBe(acked.length);
    // Every answer is an acknowledgement or a refused connection: nothing half-done (5xx) on the way out.
    for (const answer of settled) if (answer) expect(answer.status).toBe(202);
    for (const pid of workers) expect(alive(pid)).toBe(false);
  });
});
