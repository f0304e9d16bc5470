/**
 * `pnpm bench averages [--scale 0.1] [--calls 40] [--warm-up 60] [--raw-calls 3] [--data-dir DIR]`:
 * GET /v1/averages for every window, p50/p99 over repeated calls at random `now` in the data's last
 * day after `--warm-up` calls per window, beside the plain avg() over the raw rows at the same kind of
 * `now`, and every raw answer compared with ours.
 *
 * Data: 2,000 × scale sensors, one reading a minute, 38 days — the 7-day status baseline, the 30-day
 * window after it and the day the random `now` values fall in, so even the 1m window is full at both
 * edges and reads a full baseline (at scale 1: 109.4 M rows).
 * Uses DATABASE_URL's server when set (a database of its own, dropped at the end); otherwise starts an
 * embedded PostgreSQL (durability off: the data is thrown away) in a temporary directory, or in
 * --data-dir, where the generated data is kept and reused by the next run at the same scale.
 */
import { chmod, mkdir, mkdtemp, rm } from "node:fs/promises";
import { availableParallelism, tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { connectDatabase, type Sql } from "../../central/src/db/connect.ts";
import { startEmbeddedPostgres } from "../../central/src/db/embedded-postgres.ts";
import { freePort } from "../../central/src/db/free-port.ts";
import { migrate } from "../../central/src/db/migrate.ts";
import { resetReadings } from "../../central/test/support/rollups.ts";
import { generate } from "./generate.ts";
import { measure } from "./measure.ts";

const { values } = parseArgs({
  options: {
    scale: { type: "string", default: "0.1" },
    calls: { type: "string", default: "40" },
    // A server that has just started reads the month's rollups from disk into its buffers, and each
    // new connection maps them again: its first calls cost up to twice as much as a running server's.
    "warm-up": { type: "string", default: "60" },
    "raw-calls": { type: "string", default: "3" },
    "data-dir": { type: "string" },
  },
});
const scale = Number(values.scale);
if (!(scale > 0 && scale <= 1)) throw new Error("--scale must be in (0, 1]");
const SENSORS = Math.max(1, Math.round(2000 * scale));
const DAYS = 38;
const START = Date.parse("2026-01-01T00:00:00Z");

// Tuned for a throw-away data set: no fsync, room for the month's working set in memory.
const SETTINGS = {
  fsync: "off",
  synchronous_commit: "off",
  full_page_writes: "off",
  shared_buffers: "2GB",
  max_wal_size: "4GB", // more checkpoints, but the WAL stays a few GB on disk
  maintenance_work_mem: "1GB",
};

interface Server {
  url: string;
  close(): Promise<void>;
}

async function openServer(): Promise<Server> {
  const external = process.env.DATABASE_URL || undefined;
  const dbName = `bench_averages_${process.pid}`;
  if (external) {
    const admin = connectDatabase(external, { max: 1 });
    await admin.unsafe(`create database ${dbName}`);
    await admin.end();
    const url = new URL(external);
    url.pathname = `/${dbName}`;
    return {
      url: url.toString(),
      close: async () => {
        const again = connectDatabase(external, { max: 1 });
        await again.unsafe(`drop database if exists ${dbName} with (force)`);
        await again.end();
      },
    };
  }
  const keep = values["data-dir"];
  const dir = keep ?? (await mkdtemp(join(tmpdir(), "plantlink-bench-averages-")));
  await mkdir(dir, { recursive: true });
  await chmod(dir, 0o755); // the server runs as the postgres user and must reach its data
  const pg = await startEmbeddedPostgres({
    dataDir: join(dir, "pg"),
    port: await freePort(),
    settings: SETTINGS,
  });
  return {
    url: pg.url,
    close: async () => {
      await pg.stop();
      if (!keep) await rm(dir, { recursive: true, force: true });
    },
  };
}

/** Generates the data set unless this database already holds the same one (a kept --data-dir). */
async function ensureData(sql: Sql): Promise<void> {
  await sql`create table if not exists bench_averages_meta (sensors int not null, days int not null, start timestamptz not null)`;
  const [meta] = await sql<
    { sensors: number; days: number; start: Date }[]
  >`select * from bench_averages_meta`;
  if (meta && meta.sensors === SENSORS && meta.days === DAYS && meta.start.getTime() === START) {
    console.error(`reusing the generated data (${SENSORS} sensors × ${DAYS} days)`);
    return;
  }
  await resetReadings(sql, "bench_averages_meta");
  const began = performance.now();
  await generate(sql, { sensors: SENSORS, days: DAYS, start: START }, (step) =>
    console.error(`  generated ${step} (${((performance.now() - began) / 1000).toFixed(0)} s)`),
  );
  await sql`insert into bench_averages_meta values (${SENSORS}, ${DAYS}, ${new Date(START)})`;
  console.error(`generated in ${((performance.now() - began) / 1000).toFixed(0)} s`);
}

async function main(): Promise<void> {
  const server = await openServer();
  const sql = connectDatabase(server.url, { max: 4, applicationName: "bench-averages" });
  try {
    await migrate(sql);
    await ensureData(sql);
    const [{ version } = { version: "?" }] = await sql<{ version: string }[]>`select version()`;
    const rows = SENSORS * DAYS * 1440;
    console.log(`${version.split(",")[0]}; ${availableParallelism()} cores`);
    console.log(
      `scale ${scale}: ${SENSORS.toLocaleString("en-US")} sensors × ${DAYS} days × 1 reading/min = ` +
        `${rows.toLocaleString("en-US")} readings; now uniform in the last day\n`,
    );
    await measure(sql, {
      end: START + DAYS * 86_400_000,
      calls: Number(values.calls),
      warmUp: Number(values["warm-up"]),
      rawCalls: Number(values["raw-calls"]),
    });
  } finally {
    await sql.end();
    await server.close();
  }
}

await main();
