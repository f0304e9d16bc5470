/**
 * HTTP load: central's POST /v1/readings and GET /v1/averages and the edge's POST /v1/readings at
 * 500 … 10,000 simultaneous connections, beside a bare Hono handler (the ceiling) in the same run.
 * Per level and target: requests/s, latency of the 2xx answers, failures by kind, CPU of each process
 * from /proc, event-loop delay, PostgreSQL activity — and afterwards readings stored vs acknowledged.
 *
 *   pnpm bench load [--levels 500,1000,5000,10000] [--seconds 10] [--out docs/load-test] [--keep]
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { parseArgs } from "node:util";
import { repoRoot } from "../../test/e2e/support/processes.ts";
import { ensureOpenFiles } from "../support/open-files.ts";
import { lineChart } from "../support/png.ts";
import { startBenchDatabase } from "../support/postgres.ts";
import { cpuWindow, machineLoad } from "../support/proc.ts";
import { int, ms, pct, table } from "../support/stats.ts";
import { type CannonResult, failureKinds, runCannon, unknownOutcomes } from "./cannon.ts";
import { pgActivity, scrapeLoopDelay } from "./probes.ts";
import { startBare, startCentralTarget, startEdgeTarget, type Target } from "./targets.ts";

const openFiles = ensureOpenFiles(65_536);
const { values } = parseArgs({
  options: {
    levels: { type: "string", default: "500,1000,5000,10000" },
    seconds: { type: "string", default: "10" },
    out: { type: "string", default: "docs/load-test" },
    keep: { type: "boolean", default: false },
  },
});
const levels = (values.levels ?? "").split(",").map(Number);
const seconds = Number(values.seconds);
const outDir = resolve(repoRoot, values.out ?? "docs/load-test");
mkdirSync(outDir, { recursive: true });
const workDir = mkdtempSync(join(tmpdir(), "plantlink-load-"));
console.log(
  `levels ${levels.join(", ")}; ${seconds} s each; open files ${openFiles}; ${machineLoad()} at start`,
);

const db = await startBenchDatabase(workDir, "load");
const [bare, central, edge] = await Promise.all([
  startBare(),
  startCentralTarget(db, workDir),
  startEdgeTarget(workDir),
]);

// Every request carries a reading no other request has: its own instant, 2,000 sensors, all inside
// the last day so the averages query has them in its 24 h window.
let counter = 0;
const base = Date.now() - 20 * 3_600_000;
const reading = () => {
  const k = counter++;
  return JSON.stringify({
    equipmentId: `LD-${String(k % 2000).padStart(4, "0")}`,
    value: (k % 100_000) / 100,
    timestamp: new Date(base + k).toISOString(),
  });
};

interface Scenario {
  key: string;
  label: string;
  target: Target;
  method: "GET" | "POST";
  path: string;
  headers: Record<string, string>;
  ceiling?: string;
  stored?: () => Promise<number>;
}
const auth = (token: string) => ({ authorization: `Bearer ${token}` });
const centralRows = async () =>
  Number((await db.sql<{ n: string }[]>`select count(*)::text as n from readings`)[0]?.n);
const edgeRows = async () => {
  const status = (await (await fetch(`${edge.url}/v1/status`)).json()) as { bufferedRows: number };
  return status.bufferedRows;
};
const scenarios: Scenario[] = [
  {
    key: "bare-post",
    label: "bare Hono POST",
    target: bare,
    method: "POST",
    path: "/v1/readings",
    headers: {},
  },
  { key: "bare-get", label: "bare Hono GET", target: bare, method: "GET", path: "/v1/averages", headers: {} },
  {
    key: "central-post",
    label: "central POST /v1/readings",
    target: central,
    method: "POST",
    path: "/v1/readings",
    headers: auth(central.ingestToken),
    ceiling: "bare-post",
    stored: centralRows,
  },
  {
    key: "central-averages",
    label: "central GET /v1/averages",
    target: central,
    method: "GET",
    path: "/v1/averages?window=24h",
    headers: auth(central.viewerToken),
    ceiling: "bare-get",
  },
  {
    key: "edge-post",
    label: "edge POST /v1/readings",
    target: edge,
    method: "POST",
    path: "/v1/readings",
    headers: auth(edge.gatewayToken),
    ceiling: "bare-post",
    stored: edgeRows,
  },
];

interface Row {
  scenario: Scenario;
  level: number;
  result: CannonResult;
  cpu: Record<string, number>;
  loop: { p99: number; max: number };
  pg: string;
  stored?: number;
}
const rows: Row[] = [];
const request = (scenario: Scenario, connections: number, runSeconds: number) =>
  runCannon({
    url: scenario.target.url,
    method: scenario.method,
    path: scenario.path,
    headers: scenario.headers,
    connections,
    seconds: runSeconds,
    ...(scenario.method === "POST" ? { body: reading } : {}),
  });
try {
  // Warm-up, not measured: the first requests of a fresh process pay for module loading and JIT.
  for (const scenario of scenarios) await request(scenario, 20, 3);
  for (const level of levels) {
    for (const scenario of scenarios) {
      const before = scenario.stored ? await scenario.stored() : 0;
      await scrapeLoopDelay(scenario.key, central.url, edge.url); // starts a fresh delay window
      const cpu = cpuWindow({ target: scenario.target.pid, postgres: db.pgPid, generator: 0 });
      const pg = scenario.target === central ? pgActivity(db.sql) : undefined;
      const result = await request(scenario, level, seconds);
      const used = cpu.stop();
      const activity = (await pg?.stop()) ?? "–";
      // Requests that timed out or were in flight at the end may still commit: let them land first.
      await new Promise((r) => setTimeout(r, 3000));
      const loop = await scrapeLoopDelay(scenario.key, central.url, edge.url);
      const stored = scenario.stored ? (await scenario.stored()) - before : undefined;
      rows.push({
        scenario,
        level,
        result,
        cpu: used,
        loop,
        pg: activity,
        ...(stored === undefined ? {} : { stored }),
      });
      console.error(
        `${level} ${scenario.key}: ${int(result.perSecond)} req/s, p99 ${ms(result.p99)}, failures ${failureKinds(result)}` +
          (stored === undefined ? "" : `, acked ${result.ok}, stored ${stored}`),
      );
    }
  }
} finally {
  await Promise.all([bare.stop(), central.stop(), edge.stop()]);
  await db.close();
  if (!values.keep) rmSync(workDir, { recursive: true, force: true });
}

const ceilingOf = (row: Row) =>
  rows.find((r) => r.level === row.level && r.scenario.key === row.scenario.ceiling)?.result.perSecond;
console.log(`\nmachine at the end: ${machineLoad()}\n`);
console.log(
  table(
    ["target", "connections", "req/s", "× ceiling", "p50", "p90", "p99", "max", "2xx", "failures (kind ×n)"],
    rows.map((r) => {
      const ceiling = ceilingOf(r);
      return [
        r.scenario.label,
        int(r.level),
        int(r.result.perSecond),
        ceiling ? (r.result.perSecond / ceiling).toFixed(2) : "1 (ceiling)",
        ms(r.result.p50),
        ms(r.result.p90),
        ms(r.result.p99),
        ms(r.result.max),
        int(r.result.ok),
        failureKinds(r.result),
      ];
    }),
  ),
);
console.log("\nWhere the time goes (CPU % of one core over the run; the machine has 2):\n");
console.log(
  table(
    [
      "target",
      "connections",
      "target CPU",
      "PostgreSQL CPU",
      "generator CPU",
      "event-loop p99 / max",
      "PostgreSQL sessions",
    ],
    rows.map((r) => [
      r.scenario.label,
      int(r.level),
      pct(r.cpu.target ?? Number.NaN),
      r.scenario.target === central ? pct(r.cpu.postgres ?? Number.NaN) : "–",
      pct(r.cpu.generator ?? Number.NaN),
      Number.isFinite(r.loop.p99) ? `${ms(r.loop.p99)} / ${ms(r.loop.max)}` : "–",
      r.pg,
    ]),
  ),
);
console.log(
  "\nAcknowledged vs stored. A request that failed on the client (reset, timeout) or was still in flight when the run stopped has an outcome the client never learnt: it may or may not be stored, and its sender would resend it.\n",
);
const writes = rows.filter((r) => r.stored !== undefined);
console.log(
  table(
    [
      "target",
      "connections",
      "acknowledged (2xx)",
      "stored",
      "stored − acked",
      "outcome unknown (failed or in flight at the end)",
      "verdict",
    ],
    writes.map((r) => {
      const extra = (r.stored ?? 0) - r.result.ok;
      const unknown = unknownOutcomes(r.result);
      return [
        r.scenario.label,
        int(r.level),
        int(r.result.ok),
        int(r.stored ?? 0),
        int(extra),
        int(unknown),
        extra >= 0 && extra <= unknown ? "ok" : "MISMATCH",
      ];
    }),
  ),
);

const series = (metric: (r: Row) => number) =>
  scenarios.map((s) => ({
    name: s.label.replace("/v1/", "").replace("central ", "c. "),
    points: rows.filter((r) => r.scenario === s).map((r) => [r.level, metric(r)] as const),
  }));
writeFileSync(
  join(outDir, "http-latency-p99.png"),
  lineChart({
    title: "HTTP P99 LATENCY VS CONNECTIONS",
    xLabel: "connections",
    yLabel: "p99 ms",
    logX: true,
    logY: true,
    series: series((r) => r.result.p99),
  }),
);
writeFileSync(
  join(outDir, "http-throughput.png"),
  lineChart({
    title: "HTTP REQUESTS/S VS CONNECTIONS",
    xLabel: "connections",
    yLabel: "req/s",
    logX: true,
    series: series((r) => r.result.perSecond),
  }),
);
console.log(
  `\ncharts: ${join(values.out ?? "", "http-latency-p99.png")}, ${join(values.out ?? "", "http-throughput.png")}`,
);
if (writes.some((r) => (r.stored ?? 0) < r.result.ok)) {
  console.error("FAIL: fewer readings stored than acknowledged");
  process.exit(1);
}
