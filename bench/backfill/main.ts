/**
 * `pnpm bench backfill [--rows 1000000,10000000]`: CSV files of that many rows uploaded over HTTP
 * with the vendor command's client to a central running in its own process, end to end (socket →
 * CSV reading → validation → ingest with rollups → commit), beside PostgreSQL's own COPY of the same
 * file into a table without any index, run just before and just after on the same server.
 *
 * Prints rows/s, the ratio to COPY, the server's peak RSS and its growth during the upload (also at
 * the 5,000,000-row mark when the file is that big), and CPU time per row of central and of
 * PostgreSQL, which unlike rows/s barely depends on what else the shared machine is doing.
 *
 * Uses DATABASE_URL's server when set (in a database of its own, dropped at the end; PostgreSQL's CPU
 * is then not measured); otherwise an embedded PostgreSQL with its default, durable settings.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { createReadStream } from "node:fs";
import { chmod, mkdtemp, rm } from "node:fs/promises";
import { availableParallelism, loadavg, tmpdir } from "node:os";
import { join } from "node:path";
import { pipeline } from "node:stream/promises";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { uploadCsv } from "../../central/src/backfill/client.ts";
import { createProgressBar } from "../../central/src/backfill/progress.ts";
import type { Sql } from "../../central/src/db/connect.ts";
import { createTokenStore } from "../../central/src/index.ts";
import { resetReadings } from "../../central/test/support/rollups.ts";
import { startBenchDatabase } from "../support/postgres.ts";
import { rollupsMatchRawRows } from "../support/rollups.ts";
import { writeCsv } from "./files.ts";
import { cpuBetween, cpuSeconds, rssBytes, rssSampler, treeCpu } from "./proc.ts";

const { values } = parseArgs({ options: { rows: { type: "string", default: "1000000,10000000" } } });
const sizes = values.rows.split(",").map(Number);
const MARK = 5_000_000;

interface Measured {
  seconds: number;
  /** CPU seconds of PostgreSQL's processes; undefined on an external server. */
  pgCpu: number | undefined;
}

interface Upload extends Measured {
  nodeCpu: number;
  rssBefore: number;
  rssPeak: number;
  /** Peak RSS until the upload passed MARK rows. */
  rssAtMark: number | undefined;
}

const n = (x: number) => Math.round(x).toLocaleString("en-US");
const mb = (bytes: number) => `${(bytes / 1_048_576).toFixed(0)} MB`;
const perRow = (seconds: number | undefined, rows: number) =>
  seconds === undefined ? "—" : ((seconds * 1e6) / rows).toFixed(1);

async function main(): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), "plantlink-bench-backfill-"));
  await chmod(dir, 0o755); // the embedded server runs as the postgres user and must reach its data
  const db = await startBenchDatabase(join(dir, "db"), "bench_backfill");
  const { sql } = db;
  let central: ChildProcess | undefined;
  try {
    await sql`create table if not exists copy_baseline (equipment_id text, ts timestamptz, value numeric)`;
    const { token } = await createTokenStore(sql).create({ role: "vendor", name: "bench" });
    const started = await startCentralProcess(db.url, join(dir, "central"));
    central = started.child;
    const pid = central.pid ?? 0;
    const pgPid = db.pgPid();
    const pgCpu = () => (pgPid === undefined ? undefined : treeCpu(pgPid));

    const [{ version } = { version: "?" }] = await sql<{ version: string }[]>`select version()`;
    const settings = await sql<{ name: string; setting: string }[]>`
      select name, setting from pg_settings where name in ('fsync', 'synchronous_commit') order by name`;
    console.log(`${version.split(",")[0]}; ${settings.map((s) => `${s.name}=${s.setting}`).join(", ")}`);
    console.log(`${availableParallelism()} cores, load average ${loadavg()[0]?.toFixed(1)} at the start\n`);

    // Warm-up: code paths loaded and compiled, pools open, before anything is measured.
    const warm = join(dir, "warm.csv");
    await writeCsv(warm, 20_000, Date.parse("2023-01-01T00:00:00Z"));
    await uploadCsv({ url: started.url, token, file: warm });

    const lines: string[] = [];
    for (const rows of sizes) {
      const file = join(dir, `${rows}.csv`);
      const bytes = await writeCsv(file, rows, Date.parse("2024-01-01T00:00:00Z"));
      await reset(sql);
      const before = await copy(sql, file, pgCpu);
      const ours = await upload(started.url, token, file, rows, pid, pgCpu);
      await check(sql, rows);
      const after = await copy(sql, file, pgCpu);
      const copySeconds = (before.seconds + after.seconds) / 2;
      const copyCpu =
        before.pgCpu === undefined || after.pgCpu === undefined
          ? undefined
          : (before.pgCpu + after.pgCpu) / 2;
      const rate = rows / ours.seconds;
      lines.push(
        `| ${n(rows)} (${mb(bytes)}) | HTTP upload → central | ${n(rate)} | ${(rate / (rows / copySeconds)).toFixed(2)} | ` +
          `${mb(ours.rssPeak)} | +${mb(ours.rssPeak - ours.rssBefore)}` +
          `${ours.rssAtMark === undefined ? "" : ` (+${mb(ours.rssAtMark - ours.rssBefore)} at 5 M rows)`} | ` +
          `${perRow(ours.nodeCpu, rows)} | ${perRow(ours.pgCpu, rows)} |`,
        `| ${n(rows)} | COPY into an unindexed table (${n(rows / before.seconds)} before, ${n(rows / after.seconds)} after) | ` +
          `${n(rows / copySeconds)} | 1.00 | — | — | — | ${perRow(copyCpu, rows)} |`,
      );
      console.log(lines.slice(-2).join("\n"));
      await rm(file, { force: true });
    }
    console.log(
      "\n| rows (file) | path | rows/s | × COPY | server peak RSS | RSS growth | central CPU µs/row | PostgreSQL CPU µs/row |",
    );
    console.log("| ---: | --- | ---: | ---: | ---: | ---: | ---: | ---: |");
    console.log(lines.join("\n"));
  } finally {
    central?.kill("SIGTERM");
    await db.close();
    await rm(dir, { recursive: true, force: true });
  }

  async function upload(
    url: string,
    token: string,
    file: string,
    rows: number,
    pid: number,
    pgCpu: () => Map<number, number> | undefined,
  ): Promise<Upload> {
    const rssBefore = rssBytes(pid);
    const sampler = rssSampler(pid);
    const nodeBefore = cpuSeconds(pid);
    const pgBefore = pgCpu();
    const bar = createProgressBar(process.stderr);
    let rssAtMark: number | undefined;
    const t = performance.now();
    const answer = await uploadCsv({
      url,
      token,
      file,
      onProgress: (progress) => {
        bar.update(progress);
        if (rssAtMark === undefined && progress.lines > MARK) rssAtMark = sampler.peak();
      },
    });
    const seconds = (performance.now() - t) / 1000;
    bar.done();
    const report = answer.body as { inserted?: number; status?: string };
    if (answer.status !== 201 || report.inserted !== rows) {
      throw new Error(
        `the upload did not store every row: ${answer.status} ${JSON.stringify(answer.body).slice(0, 500)}`,
      );
    }
    const pgAfter = pgCpu();
    return {
      seconds,
      nodeCpu: cpuSeconds(pid) - nodeBefore,
      pgCpu: pgBefore && pgAfter ? cpuBetween(pgBefore, pgAfter) : undefined,
      rssBefore,
      rssPeak: sampler.stop(),
      rssAtMark,
    };
  }
}

async function reset(sql: Sql): Promise<void> {
  await resetReadings(sql, "copy_baseline");
  await sql`checkpoint`.catch(() => undefined);
}

/** The baseline: the same file streamed into COPY … FROM STDIN, PostgreSQL parsing the CSV itself. */
async function copy(sql: Sql, file: string, pgCpu: () => Map<number, number> | undefined): Promise<Measured> {
  await sql`truncate copy_baseline`;
  const pgBefore = pgCpu();
  const t = performance.now();
  const target =
    await sql`copy copy_baseline (equipment_id, ts, value) from stdin with (format csv, header true)`.writable();
  await pipeline(createReadStream(file, { highWaterMark: 1 << 20 }), target);
  const seconds = (performance.now() - t) / 1000;
  const pgAfter = pgCpu();
  return { seconds, pgCpu: pgBefore && pgAfter ? cpuBetween(pgBefore, pgAfter) : undefined };
}

/** Every row is stored, and every rollup level holds exactly the stored rows. */
async function check(sql: Sql, rows: number): Promise<void> {
  const stored = await rollupsMatchRawRows(sql);
  if (stored.rows !== rows || !stored.ok) throw new Error(`after the upload: ${JSON.stringify(stored)}`);
}

async function startCentralProcess(
  databaseUrl: string,
  dataDir: string,
): Promise<{ child: ChildProcess; url: string }> {
  const child = spawn(
    process.execPath,
    ["--import", "tsx", fileURLToPath(new URL("./server.ts", import.meta.url))],
    {
      env: {
        PATH: process.env.PATH,
        DATABASE_URL: databaseUrl,
        PLANTLINK_CENTRAL_HOST: "127.0.0.1",
        PLANTLINK_CENTRAL_PORT: "0",
        PLANTLINK_CENTRAL_DATA_DIR: dataDir,
        PLANTLINK_CENTRAL_MIGRATE: "false",
        LOG_LEVEL: "warn",
      },
      stdio: ["ignore", "pipe", "inherit"],
    },
  );
  const url = await new Promise<string>((resolve, reject) => {
    let out = "";
    child.stdout?.on("data", (chunk: Buffer) => {
      out += chunk.toString();
      const match = /READY (\S+)/.exec(out);
      if (match?.[1]) resolve(match[1]);
    });
    child.once("exit", (code) => reject(new Error(`central exited with ${code} before it was ready`)));
  });
  return { child, url };
}

await main();
