/**
 * The one PostgreSQL server of a test run: an embedded one in a temporary directory, or the server named
 * by TEST_DATABASE_URL (then nothing is started). Whatever happens to the run — passing, failing, SIGINT,
 * SIGTERM — the server stops and its directory is deleted; after a SIGKILL, the server shuts itself down
 * (parent-death signal) and the next run deletes the directory.
 */
import { readFileSync, rmSync } from "node:fs";
import { chmod, mkdir, mkdtemp, readdir, readFile, rm, stat, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type EmbeddedPostgres, startEmbeddedPostgres } from "../../src/db/embedded-postgres.ts";
import { freePort } from "../../src/db/free-port.ts";
import { clearStalePostmaster, isAlive } from "../../src/db/postmaster.ts";

/** Every embedded test server lives under here, one `run-*` directory per run. */
export const testServersRoot = join(tmpdir(), "plantlink-test-pg");

export interface TestServer {
  adminUrl: string;
  runDir: string;
  server: { pid: number; dataDir: string } | null;
  /** The normal teardown. */
  stop(): Promise<void>;
  /** For signal and exit handlers, where the event loop may never run again: blocks until done. */
  stopNow(): void;
}

// Tests need no durability: a crashed test server is thrown away, never recovered.
const testSettings = {
  fsync: "off",
  synchronous_commit: "off",
  full_page_writes: "off",
  max_connections: "300",
};

export async function startTestServer(externalUrl: string | undefined): Promise<TestServer> {
  if (externalUrl) {
    const runDir = await mkdtemp(join(tmpdir(), "plantlink-test-"));
    return {
      adminUrl: externalUrl,
      runDir,
      server: null,
      stop: () => rm(runDir, { recursive: true, force: true }),
      stopNow: () => rmSync(runDir, { recursive: true, force: true }),
    };
  }

  await mkdir(testServersRoot, { recursive: true });
  // The server runs as the postgres user (we are root): every directory above its data must be
  // traversable, and mkdtemp makes 0700 directories.
  await chmod(testServersRoot, 0o755).catch(() => undefined);
  await sweepAbandonedRuns(testServersRoot);
  const runDir = await mkdtemp(join(testServersRoot, "run-"));
  await chmod(runDir, 0o755);
  await writeFile(join(runDir, "owner"), String(process.pid));

  let pg: EmbeddedPostgres;
  try {
    pg = await startOnFreePort(join(runDir, "data"));
  } catch (error) {
    await rm(runDir, { recursive: true, force: true });
    throw error;
  }
  let stopped = false;
  return {
    adminUrl: pg.url,
    runDir,
    server: { pid: pg.pid, dataDir: pg.dataDir },
    stop: async () => {
      await pg.stop();
      stopped = true;
      await rm(runDir, { recursive: true, force: true, maxRetries: 5 });
    },
    stopNow: () => {
      if (!stopped) stopProcessNow(pg.pid);
      stopped = true;
      rmSync(runDir, { recursive: true, force: true, maxRetries: 5 });
    },
  };
}

async function startOnFreePort(dataDir: string): Promise<EmbeddedPostgres> {
  for (let attempt = 1; ; attempt++) {
    const port = await freePort();
    try {
      return await startEmbeddedPostgres({ dataDir, port, settings: testSettings, syncOnInit: false });
    } catch (error) {
      // Another process may take the port between freePort() and the server's bind.
      if (attempt >= 3 || !String(error).includes("already in use")) throw error;
    }
  }
}

/**
 * Deletes the directories of earlier runs whose process is gone (it was SIGKILLed, or the machine
 * rebooted), first shutting down a server that might still run there. A directory without an owner
 * file may be a run that is just starting, so it is left alone for a minute.
 */
export async function sweepAbandonedRuns(root: string): Promise<void> {
  for (const name of await readdir(root).catch(() => [] as string[])) {
    if (!name.startsWith("run-")) continue;
    const dir = join(root, name);
    const owner = Number.parseInt(await readFile(join(dir, "owner"), "utf8").catch(() => ""), 10);
    if (Number.isInteger(owner) ? await isAlive(owner) : await isRecent(dir)) continue;
    await clearStalePostmaster(join(dir, "data")).catch(() => undefined);
    await rm(dir, { recursive: true, force: true, maxRetries: 5 });
  }
}

async function isRecent(dir: string): Promise<boolean> {
  const info = await stat(dir).catch(() => undefined);
  return info !== undefined && Date.now() - info.mtimeMs < 60_000;
}

/** SIGINT (fast shutdown), then SIGQUIT, waiting synchronously for the process to be gone. */
function stopProcessNow(pid: number): void {
  for (const [signal, waitMs] of [
    ["SIGINT", 10_000],
    ["SIGQUIT", 5_000],
  ] as const) {
    try {
      process.kill(pid, signal);
    } catch {
      return;
    }
    const deadline = Date.now() + waitMs;
    while (isRunningNow(pid) && Date.now() < deadline) sleepNow(10);
    if (!isRunningNow(pid)) return;
  }
}

function isRunningNow(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  // Our own child stays a zombie until the event loop reaps it, which it cannot while we block here.
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    return stat.slice(stat.lastIndexOf(")") + 2, stat.lastIndexOf(")") + 3) !== "Z";
  } catch {
    return true;
  }
}

function sleepNow(ms: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}
