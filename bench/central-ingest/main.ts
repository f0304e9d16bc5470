/**
 * `pnpm bench central-ingest [--seconds 8] [--sizes 1000,5000]`: edge-sized batches (2,000 sensors per
 * site, 10 % re-sent duplicates) from 4 concurrent senders, straight through central's ingest function
 * (the HTTP layer is not in the path), beside a plain COPY of the same batches into a table without
 * any index, on the same server in the same run.
 *
 * Uses DATABASE_URL's server when set (in a database of its own, dropped at the end); otherwise starts
 * an embedded PostgreSQL with its default, durable settings in a temporary directory.
 */

import { chmod, mkdtemp, rm } from "node:fs/promises";
import { availableParallelism, tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import type { Reading } from "@plantlink/shared";
import { connectDatabase, type Sql } from "../../central/src/db/connect.ts";
import { ingestInTransaction, listInput } from "../../central/src/ingest/ingest.ts";
import { resetReadings } from "../../central/test/support/rollups.ts";
import { startBenchDatabase } from "../support/postgres.ts";
import { rollupsMatchRawRows } from "../support/rollups.ts";
import { copyBaseline, copyInput, createCopyBaselineTable } from "./copy.ts";
import { edgeBatches } from "./workload.ts";

const SENDERS = 4;
const SENSORS = 2_000;
const DUPLICATES = 0.1;
const ROUNDS = 4;

const { values } = parseArgs({
  options: {
    seconds: { type: "string", default: "8" },
    sizes: { type: "string", default: "1000,5000" },
  },
});
const seconds = Number(values.seconds);
const sizes = values.sizes.split(",").map(Number);

type Path = "copy-baseline" | "arrays" | "copy-staged";
interface Scenario {
  path: Path;
  /** All senders write the same 2,000 sensors (worst case for rollup row locks) instead of one site each. */
  shared: boolean;
}
const scenarios: Scenario[] = [
  { path: "copy-baseline", shared: false },
  { path: "arrays", shared: false },
  { path: "copy-staged", shared: false },
  { path: "arrays", shared: true },
];
const labels: Record<Path, string> = {
  "copy-baseline": "plain COPY, unindexed table (baseline)",
  arrays: "ingest: lists bound to one statement",
  "copy-staged": "ingest: COPY into a temp table first",
};

interface Run {
  scenario: Scenario;
  senders: Generator<Reading[]>[];
  latencies: number[];
  readings: number;
  inserted: number;
  elapsed: number;
}

async function main(): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), "plantlink-bench-central-ingest-"));
  await chmod(dir, 0o755); // the embedded server runs as the postgres user and must reach its data
  const db = await startBenchDatabase(dir, "bench_central_ingest");
  // One connection per sender, and one for the baseline and the checks.
  const sql = connectDatabase(db.url, { max: SENDERS + 1, applicationName: "bench-central-ingest" });
  try {
    await createCopyBaselineTable(sql);
    const [{ version } = { version: "?" }] = await sql<{ version: string }[]>`select version()`;
    const settings = await sql<{ name: string; setting: string }[]>`
      select name, setting from pg_settings where name in ('fsync', 'synchronous_commit') order by name`;
    console.log(`${version.split(",")[0]}; ${settings.map((s) => `${s.name}=${s.setting}`).join(", ")}`);
    console.log(
      `${availableParallelism()} cores; ${SENDERS} senders; ${seconds} s per row, in ${ROUNDS} slices\n`,
    );
    console.log(
      "| batch | path | sensors | readings/s | inserted/s | p50 ms | p99 ms | × COPY | rollups = raw |",
    );
    console.log("| ---: | --- | --- | ---: | ---: | ---: | ---: | ---: | --- |");
    for (const batchSize of sizes) {
      const runs = await measure(sql, batchSize);
      const inStep = (await rollupsMatchRawRows(sql)).ok;
      const baseline = runs[0]!.readings / runs[0]!.elapsed;
      for (const run of [...runs.slice(1), runs[0]!]) console.log(row(batchSize, run, baseline, inStep));
    }
  } finally {
    await sql.end();
    await db.close();
    await rm(dir, { recursive: true, force: true });
  }
}

/**
 * The machine is shared and its load changes by the second, so the scenarios take turns in short
 * slices, round-robin, and each one's figures add up its slices: every scenario, the baseline
 * included, sees the same mix of quiet and busy moments.
 */
async function measure(sql: Sql, batchSize: number): Promise<Run[]> {
  await resetReadings(sql, "copy_baseline");
  await sql`checkpoint`.catch(() => undefined); // not allowed on every server; only evens out the start
  const start = Date.now() - 3 * 86_400_000;
  const runs: Run[] = scenarios.map((scenario, index) => ({
    scenario,
    senders: Array.from({ length: SENDERS }, (_, sender) =>
      edgeBatches({
        // A sensor namespace per scenario, so scenarios sharing the tables never collide.
        prefix: scenario.shared ? `X${index}-` : `X${index}-S${sender}-`,
        sensors: SENSORS,
        batchSize,
        duplicateShare: DUPLICATES,
        // Senders sharing sensors take turns second by second: they hit the same rollup rows.
        start: scenario.shared ? start + sender * 1000 : start,
        secondsPerStep: scenario.shared ? SENDERS : 1,
        seed: sender + 1,
      }),
    ),
    latencies: [],
    readings: 0,
    inserted: 0,
    elapsed: 0,
  }));
  for (const run of runs) await slice(sql, run, 0.5); // warm-up
  for (const run of runs) Object.assign(run, { latencies: [], readings: 0, inserted: 0, elapsed: 0 });
  for (let round = 0; round < ROUNDS; round++) {
    for (const run of runs) await slice(sql, run, seconds / ROUNDS);
  }
  return runs;
}

/** The senders send batches back to back, each waiting for its previous answer, for `duration` s. */
async function slice(sql: Sql, run: Run, duration: number): Promise<void> {
  const began = performance.now();
  const deadline = began + duration * 1000;
  await Promise.all(
    run.senders.map(async (batches, sender) => {
      while (performance.now() < deadline) {
        const batch = batches.next().value as Reading[];
        const t = performance.now();
        const inserted = await send(sql, run.scenario.path, batch, `site-${sender}`);
        run.latencies.push(performance.now() - t);
        run.readings += batch.length;
        run.inserted += inserted;
      }
    }),
  );
  run.elapsed += (performance.now() - began) / 1000;
}

async function send(sql: Sql, path: Path, batch: Reading[], source: string): Promise<number> {
  if (path === "copy-baseline") {
    await copyBaseline(sql, batch, source);
    return batch.length;
  }
  const input = path === "arrays" ? listInput : copyInput;
  const result = await sql.begin((tx) => ingestInTransaction(tx, batch, source, { input }));
  return result.inserted;
}

function row(batchSize: number, run: Run, baseline: number, inStep: boolean): string {
  const n = (x: number) => Math.round(x).toLocaleString("en-US");
  const rate = run.readings / run.elapsed;
  const latencies = run.latencies.sort((a, b) => a - b);
  const quantile = (q: number) =>
    (latencies[Math.max(0, Math.ceil(q * latencies.length) - 1)] ?? 0).toFixed(0);
  const isBaseline = run.scenario.path === "copy-baseline";
  const cells = [
    n(batchSize),
    labels[run.scenario.path],
    run.scenario.shared ? `${n(SENSORS)} shared by all` : `${SENDERS} sites × ${n(SENSORS)}`,
    n(rate),
    isBaseline ? "—" : n(run.inserted / run.elapsed),
    quantile(0.5),
    quantile(0.99),
    (rate / baseline).toFixed(2),
    isBaseline ? "—" : inStep ? "yes" : "NO",
  ];
  return `| ${cells.join(" | ")} |`;
}

await main();
