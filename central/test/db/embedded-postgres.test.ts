/**
 * The embedded server on a data directory of its own (not the harness's server): it keeps its data
 * across restarts, stop() leaves no process, and it starts again after its owner crashed — whether the
 * old server is still shutting down, still running, or gone leaving a stale postmaster.pid.
 */
import { spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { chmod, mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { fileURLToPath, pathToFileURL } from "node:url";
import { afterAll, describe, expect, it } from "vitest";
import { connectDatabase } from "../../src/db/connect.ts";
import { type EmbeddedPostgres, startEmbeddedPostgres } from "../../src/db/embedded-postgres.ts";
import { freePort } from "../../src/db/free-port.ts";
import { isAlive, waitForExit } from "../../src/db/postmaster.ts";

const root = await mkdtemp(join(tmpdir(), "plantlink-embedded-"));
await chmod(root, 0o755); // the server runs as the postgres user, which must traverse it
const dataDir = join(root, "data");
const started: EmbeddedPostgres[] = [];
afterAll(async () => {
  await Promise.all(started.map((pg) => pg.stop()));
  await rm(root, { recursive: true, force: true });
});

async function start(port?: number): Promise<EmbeddedPostgres> {
  // initdb's flush to disk only matters if the machine crashes, which these tests do not do.
  const pg = await startEmbeddedPostgres({ dataDir, port: port ?? (await freePort()), syncOnInit: false });
  started.push(pg);
  return pg;
}

async function query<T>(
  url: string,
  work: (sql: ReturnType<typeof connectDatabase>) => Promise<T>,
): Promise<T> {
  const sql = connectDatabase(url, { max: 1 });
  try {
    return await work(sql);
  } finally {
    await sql.end();
  }
}

const count = (url: string) =>
  query(url, async (sql) => (await sql<{ n: number }[]>`select count(*)::int as n from kept`)[0]?.n);

describe.sequential("embedded PostgreSQL", () => {
  it("initialises an empty directory, and stop() leaves no process and no lock file", async () => {
    const pg = await start();
    await query(pg.url, (sql) => sql`create table kept (n int)`.then(() => sql`insert into kept values (1)`));
    await pg.stop();
    expect(await isAlive(pg.pid)).toBe(false);
    expect(existsSync(join(dataDir, "postmaster.pid"))).toBe(false);
    await pg.stop(); // idempotent
  });

  it("reuses the data directory on the next start, data and password included", async () => {
    const pg = await start();
    expect(await count(pg.url)).toBe(1);
    await pg.stop();
  });

  it("starts again when the previous server is still running on the directory (its owner died)", async () => {
    const orphan = await start();
    const pg = await start(); // the orphan is never stopped by its owner
    expect(await isAlive(orphan.pid)).toBe(false);
    expect(await count(pg.url)).toBe(1);
    await pg.stop();
  });

  it("starts again after its owner was SIGKILLed, with every committed row", async () => {
    const loader = pathToFileURL(createRequire(import.meta.url).resolve("tsx")).href;
    const script = fileURLToPath(new URL("./fixtures/run-embedded-postgres.ts", import.meta.url));
    const child = spawn(process.execPath, ["--import", loader, script, dataDir, String(await freePort())], {
      stdio: ["ignore", "pipe", "inherit"],
    });
    const [line] = await createInterface({ input: child.stdout! })
      [Symbol.asyncIterator]()
      .next()
      .then((r) => [r.value as string | undefined]);
    const crashed = JSON.parse(line ?? "{}") as { pid: number; url: string };
    await query(crashed.url, (sql) => sql`insert into kept values (2)`);
    child.kill("SIGKILL");

    // Started through setpriv --pdeathsig, the server shuts itself down when its parent dies.
    if (existsSync("/usr/bin/setpriv")) expect(await waitForExit(crashed.pid, 10_000)).toBe(true);
    const pg = await start();
    expect(await count(pg.url)).toBe(2);
    await pg.stop();
  });

  it("starts again over a stale postmaster.pid naming a process that is not PostgreSQL", async () => {
    await writeFile(join(dataDir, "postmaster.pid"), `${process.pid}\n${dataDir}\n`);
    const pg = await start();
    expect(await count(pg.url)).toBe(2);
    await pg.stop();
  });
});

describe("embedded PostgreSQL refuses, with a reason,", () => {
  it("a directory that holds something other than a cluster", async () => {
    const dir = join(root, "not-a-cluster");
    await mkdir(dir);
    await writeFile(join(dir, "notes.txt"), "mine");
    await expect(startEmbeddedPostgres({ dataDir: dir, port: await freePort() })).rejects.toThrow(
      /neither empty nor a PostgreSQL data directory/,
    );
  });
});
