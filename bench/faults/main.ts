/**
 * Faults, each on its own PostgreSQL, central and edge: the long chaos run (bounded by --minutes),
 * PostgreSQL stopped under load, the edge's buffer cap reached, central killed during a CSV upload.
 * For each: acknowledged, lost (must be 0), duplicated (must be 0), recovery time. Renders the
 * throughput-over-time chart of the PostgreSQL outage.
 *
 *   pnpm bench faults [--minutes 10] [--only chaos,postgres,cap,csv] [--rate 1500] [--out docs/load-test]
 */
import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { parseArgs } from "node:util";
import { repoRoot } from "../../test/e2e/support/processes.ts";
import { lineChart } from "../support/png.ts";
import { machineLoad } from "../support/proc.ts";
import { int, table } from "../support/stats.ts";
import { capFault } from "./cap.ts";
import { chaosFault } from "./chaos.ts";
import { csvFault } from "./csv.ts";
import { postgresFault, type Timeline } from "./postgres.ts";
import type { FaultResult } from "./rig.ts";

const { values } = parseArgs({
  options: {
    minutes: { type: "string", default: "10" },
    only: { type: "string", default: "chaos,postgres,cap,csv" },
    rate: { type: "string", default: "1500" },
    "pg-down": { type: "string", default: "15" },
    cap: { type: "string", default: "8MB" },
    "csv-rows": { type: "string", default: "300000" },
    out: { type: "string", default: "docs/load-test" },
  },
});
const only = new Set((values.only ?? "").split(","));
const rate = Number(values.rate);
const outDir = resolve(repoRoot, values.out ?? "docs/load-test");
mkdirSync(outDir, { recursive: true });
const workDir = mkdtempSync(join(tmpdir(), "plantlink-faults-"));
chmodSync(workDir, 0o755); // each scenario's PostgreSQL runs as the postgres user and must reach its data
console.log(
  `faults: ${[...only].join(", ")}; chaos ${values.minutes} min; ${rate} readings/s; ${machineLoad()} at start`,
);

const results: FaultResult[] = [];
const failures: string[] = [];
const attempt = async (name: string, run: () => Promise<FaultResult>) => {
  if (!only.has(name)) return;
  const started = Date.now();
  try {
    const result = await run();
    results.push(result);
    console.error(
      `${name}: done in ${((Date.now() - started) / 1000).toFixed(0)} s — ${JSON.stringify(result)}`,
    );
  } catch (error) {
    // One scenario failing to run is reported; the others still run.
    failures.push(`${name}: ${error instanceof Error ? error.message : String(error)}`);
    console.error(`${name}: could not run: ${error instanceof Error ? error.stack : String(error)}`);
  }
};

let timeline: Timeline | undefined;
try {
  await attempt("postgres", async () => {
    const r = await postgresFault(workDir, {
      downSeconds: Number(values["pg-down"]),
      rate: Math.min(rate, 1000),
    });
    timeline = r.timeline;
    return r.result;
  });
  await attempt("cap", () =>
    capFault(workDir, { capBytes: values.cap ?? "8MB", rate: Math.min(rate, 2000) }),
  );
  await attempt("csv", () => csvFault(workDir, { rows: Number(values["csv-rows"]) }));
  await attempt("chaos", () => chaosFault(workDir, Number(values.minutes), rate));
} finally {
  if (failures.length === 0) rmSync(workDir, { recursive: true, force: true });
  else console.error(`logs kept in ${workDir}`);
}

console.log(`\nmachine at the end: ${machineLoad()}\n`);
console.log(
  table(
    ["fault", "acknowledged", "lost", "duplicated", "recovery", "what happened"],
    results.map((r) => [r.fault, int(r.acknowledged), int(r.lost), int(r.duplicated), r.recovery, r.notes]),
  ),
);
for (const f of failures) console.log(`\nnot run to the end: ${f}`);

if (timeline) {
  const rates = (pick: (p: Timeline["points"][number]) => number) =>
    timeline!.points.slice(1).map((p, i) => {
      const prev = timeline!.points[i];
      return [p.t, prev ? (pick(p) - pick(prev)) / (p.t - prev.t) : 0] as const;
    });
  writeFileSync(
    join(outDir, "faults-postgres.png"),
    lineChart({
      title: "THROUGHPUT THROUGH A POSTGRESQL STOP AND START",
      xLabel: "seconds",
      yLabel: "readings/s",
      bands: [{ from: timeline.downAt, to: timeline.upAt, label: "PG DOWN" }],
      series: [
        { name: "edge MQTT acks", points: rates((p) => p.edgeAcked) },
        { name: "central direct 2xx", points: rates((p) => p.directOk) },
        { name: "central rows", points: rates((p) => p.centralRows) },
      ],
    }),
  );
  console.log(`\nchart: ${join(values.out ?? "", "faults-postgres.png")}`);
}
if (results.some((r) => r.lost > 0 || r.duplicated > 0) || failures.length > 0) {
  console.error("FAIL: a fault lost or duplicated readings, or did not run");
  process.exit(1);
}
