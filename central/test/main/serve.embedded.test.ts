/**
 * `pnpm central serve` with DATABASE_URL unset, run as the real CLI in a child process: it starts an
 * embedded PostgreSQL in its data directory, prints the first admin token once, keeps its data across a
 * restart, works beside the token commands, and leaves no PostgreSQL process behind after SIGTERM.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { chmod, mkdtemp, readdir, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, describe, expect, it } from "vitest";
import { freePort } from "../../src/db/free-port.ts";
import { isAlive, recordedPostmaster } from "../../src/db/postmaster.ts";

const cli = fileURLToPath(new URL("../../src/cli.ts", import.meta.url));
const dataDir = await mkdtemp(join(tmpdir(), "plantlink-serve-"));
// The embedded server runs as the postgres user (we may be root): it must reach the data directory.
await chmod(dataDir, 0o755);
const port = await freePort();
const children: ChildProcess[] = [];
afterAll(async () => {
  for (const child of children) if (child.exitCode === null) child.kill("SIGKILL");
  await rm(dataDir, { recursive: true, force: true });
});

const env: NodeJS.ProcessEnv = {
  ...process.env,
  PLANTLINK_CENTRAL_DATA_DIR: dataDir,
  PLANTLINK_CENTRAL_PORT: String(port),
  PLANTLINK_CENTRAL_HOST: "127.0.0.1",
  LOG_LEVEL: "info",
};
delete env.DATABASE_URL;
const url = `http://127.0.0.1:${port}`;

function runCli(args: string[]) {
  const child = spawn(process.execPath, ["--import", "tsx", cli, ...args], {
    env,
    stdio: ["ignore", "pipe", "pipe"],
  });
  children.push(child);
  let stdout = "";
  let stderr = "";
  child.stdout?.on("data", (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr?.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
  const exit = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));
  return { child, exit, out: () => stdout, err: () => stderr };
}

async function startServe() {
  const serve = runCli(["serve"]);
  const deadline = Date.now() + 60_000;
  while (!serve.out().includes('"msg":"central listening"')) {
    if (serve.child.exitCode !== null || Date.now() > deadline) {
      throw new Error(`serve did not start:\n${serve.out()}\n${serve.err()}`);
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  const pid = await recordedPostmaster(join(dataDir, "postgres"));
  if (pid === undefined) throw new Error("no postmaster.pid in the embedded data directory");
  return { ...serve, pgPid: pid };
}

async function stopServe(serve: Awaited<ReturnType<typeof startServe>>) {
  serve.child.kill("SIGTERM");
  expect(await serve.exit).toBe(0);
  expect(await isAlive(serve.pgPid)).toBe(false);
  expect(await serversOn(dataDir)).toEqual([]);
}

/** Every live process whose command line names the data directory (a PostgreSQL left behind would). */
async function serversOn(dir: string): Promise<number[]> {
  const pids: number[] = [];
  for (const entry of await readdir("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    const cmdline = await readFile(`/proc/${entry}/cmdline`, "utf8").catch(() => "");
    if (cmdline.includes(dir) && (await isAlive(Number(entry)))) pids.push(Number(entry));
  }
  return pids;
}

const postReading = (token: string, value: number) =>
  fetch(`${url}/v1/readings`, {
    method: "POST",
    headers: { Authorization: `Bearer ${token}`, "Content-Type": "application/json" },
    body: JSON.stringify({ equipmentId: "EQ-restart", value, timestamp: "2024-01-01T00:00:00Z" }),
  });

// Each step spawns the CLI (tsx start-up, PostgreSQL start-up): seconds each, more on a busy machine.
describe("pnpm central serve without DATABASE_URL", { timeout: 180_000 }, () => {
  let adminToken = "";

  it("starts an embedded PostgreSQL, prints the first admin token once, and stops it all on SIGTERM", async () => {
    const serve = await startServe();
    adminToken = /plt_[A-Za-z0-9_-]{43}/.exec(serve.out())?.[0] ?? "";
    expect(adminToken).not.toBe("");
    expect(existsSync(join(dataDir, "postgres", "PG_VERSION"))).toBe(true);
    expect((await fetch(`${url}/readyz`)).status).toBe(200);
    const stored = await postReading(adminToken, 12.5);
    expect(stored.status).toBe(202);
    expect(await stored.json()).toMatchObject({ inserted: 1 });
    await stopServe(serve);
  });

  it("keeps its data and tokens across a restart, and prints no new admin token", async () => {
    const serve = await startServe();
    expect(serve.out()).not.toMatch(/plt_[A-Za-z0-9_-]{43}/);
    const again = await postReading(adminToken, 12.5);
    expect(again.status).toBe(202);
    expect(await again.json()).toMatchObject({ inserted: 0, duplicates: 1 });
    await stopServe(serve);
  });

  it("lets token commands share the running server's database", async () => {
    const serve = await startServe();
    const create = runCli(["token", "create", "--role", "viewer", "--name", "test viewer"]);
    expect(await create.exit).toBe(0);
    const viewer = create.out().trim();
    expect(viewer).toMatch(/^plt_[A-Za-z0-9_-]{43}$/);

    const list = runCli(["token", "list"]);
    expect(await list.exit).toBe(0);
    expect(list.out()).toMatch(/viewer\s+test viewer/);
    expect(list.out()).not.toContain(viewer);
    const id = /^(\d+)\s+viewer/m.exec(list.out())?.[1];
    expect(id).toBeDefined();

    // The viewer may not post readings (403), and after revocation it is not known at all (401).
    expect((await postReading(viewer, 1)).status).toBe(403);
    const revoke = runCli(["token", "revoke", id ?? ""]);
    expect(await revoke.exit).toBe(0);
    expect((await postReading(viewer, 1)).status).toBe(401);
    // The CLI borrowed the server's database; serve still owns it and it still runs.
    expect(await isAlive(serve.pgPid)).toBe(true);
    await stopServe(serve);
  });

  it("explains a bad command or variable and exits 2", async () => {
    const bad = runCli(["token", "create", "--role", "boss", "--name", "x"]);
    expect(await bad.exit).toBe(2);
    expect(bad.err()).toMatch(/--role must be one of admin, edge, ingest, vendor, viewer/);
    const badEnv = spawn(process.execPath, ["--import", "tsx", cli, "serve"], {
      env: { ...env, PLANTLINK_CENTRAL_PORT: "eighty" },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let stderr = "";
    badEnv.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
    expect(await new Promise((resolve) => badEnv.once("exit", resolve))).toBe(2);
    expect(stderr).toMatch(/PLANTLINK_CENTRAL_PORT: expected a port number/);
  });
});
