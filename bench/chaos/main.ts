/**
 * `pnpm bench chaos [--minutes 10] [--rate 2000]`: the chaos test's long version. Central (on its own
 * PostgreSQL) and an edge as child processes, QoS 1 publishers, and for N minutes a fault every few
 * seconds: the edge SIGKILLed, central SIGKILLed, the link cut, stalled, reset, answers lost. Then
 * everything heals and drains, and the run checks that central holds every acknowledged reading
 * exactly once and nothing the edge did not commit. Exits non-zero when it does not.
 */
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { longChaosEvents, runChaos } from "../../test/e2e/support/chaos.ts";
import { countMissing, missingOrDifferent } from "../../test/e2e/support/ledger.ts";
import { startBenchDatabase } from "../support/postgres.ts";

const { values } = parseArgs({
  options: { minutes: { type: "string", default: "10" }, rate: { type: "string", default: "2000" } },
});
const minutes = Number(values.minutes);
const events = longChaosEvents(minutes);

const workDir = await mkdtemp(join(tmpdir(), "plantlink-bench-chaos-"));
const db = await startBenchDatabase(workDir, "chaos");
let failed = false;
try {
  const started = Date.now();
  const report = await runChaos({
    sql: db.sql,
    databaseUrl: db.url,
    workDir: join(workDir, "run"),
    loadMs: minutes * 60_000,
    events,
    rate: Number(values.rate),
    log: (line) => console.log(`  ${line}`),
  });
  const { published, central, edge } = report;
  const edgeTotals = central.edges.get("site-chaos");
  const checks: [string, boolean, string][] = [
    [
      "every acknowledged reading at central, same value",
      countMissing(published.acked, central.readings) === 0,
      missingOrDifferent(published.acked, central.readings, 3).join(", "),
    ],
    [
      "no identity stored twice",
      central.rows === central.readings.size,
      `${central.rows} rows, ${central.readings.size} identities`,
    ],
    ["rollups counted each reading once", central.rollupCount === central.rows, `${central.rollupCount}`],
    [
      "edges.readings_total = rows = Σ batch answers' inserted",
      edgeTotals?.readingsTotal === central.rows && edgeTotals.answeredInserted === central.rows,
      JSON.stringify(edgeTotals),
    ],
    [
      "central holds exactly the set the edge committed",
      countMissing(edge.readings, central.readings) === 0 &&
        countMissing(central.readings, edge.readings) === 0,
      "",
    ],
    ["nothing a device did not publish", countMissing(central.readings, published.attempted) === 0, ""],
    ["edge buffer fully synced", edge.unsynced === 0, `${edge.unsynced}`],
  ];
  const kinds = new Map<string, number>();
  for (const e of report.events) kinds.set(e.event, (kinds.get(e.event) ?? 0) + 1);
  console.log(`\n| figure | value |\n| --- | ---: |`);
  console.log(`| run (load phase, wall clock) | ${((Date.now() - started) / 60_000).toFixed(1)} min |`);
  console.log(`| readings acknowledged (PUBACK) | ${published.acked.size.toLocaleString("en-US")} |`);
  console.log(`| readings published | ${published.attempted.size.toLocaleString("en-US")} |`);
  console.log(`| rows at central | ${central.rows.toLocaleString("en-US")} |`);
  console.log(`| rows in the edge buffer (device resends included) | ${edge.rows.toLocaleString("en-US")} |`);
  console.log(`| batches central recorded | ${edgeTotals?.batches.toLocaleString("en-US")} |`);
  console.log(`| edge starts / central starts | ${report.edgeStarts} / ${report.centralStarts} |`);
  console.log(`| faults | ${[...kinds].map(([k, n]) => `${k} ×${n}`).join(", ")} |`);
  console.log(`| drain after healing | ${(report.drainMs / 1000).toFixed(1)} s |\n`);
  for (const [name, ok, detail] of checks) {
    console.log(`${ok ? "PASS" : "FAIL"}  ${name}${ok || !detail ? "" : `: ${detail}`}`);
    if (!ok) failed = true;
  }
} finally {
  await db.close();
  if (!failed) await rm(workDir, { recursive: true, force: true });
  else console.log(`logs kept in ${workDir}`);
}
if (failed) process.exit(1);
