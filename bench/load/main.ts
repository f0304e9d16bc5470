/**
 * HTTP load: central's POST /v1/readings and GET /v1/averages and the edge's POST /v1/readings at
 * 500 … 10,000 simultaneous connections, beside a bare Hono handler (the ceiling) in the same run.
 * Per level and target: requests/s, latency of the 2xx answers, failures by kind, CPU of each process
 * from /proc, event-loop delay, PostgreSQL activity — and afterwards readings stored vs acknowledged,
 * and issue 17's targets as pass/fail lines. A 503 (overload refused with Retry-After) is counted
 * apart from time-outs: the first is an answer, the second a failure.
 *
 *   pnpm bench load [--levels 500,1000,5000,10000] [--seconds 10] [--out docs/load-test] [--keep]
 *                   [--workers N] [--scaling 1,2]
 *
 * --workers: central's PLANTLINK_CENTRAL_WORKERS (default: the product default, the machine's cores).
 * --scaling: afterwards, central's POST and GET averages again at each level with each worker count.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { availableParallelism, tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { parseArgs } from "node:util";
import { repoRoot } from "../../test/e2e/support/processes.ts";
import { ensureOpenFiles } from "../support/open-files.ts";
import { lineChart } from "../support/png.ts";
import { startBenchDatabase } from "../support/postgres.ts";
import { cpuWindow, machineLoad } from "../support/proc.ts";
import { int, ms, pct, table } from "../support/stats.ts";
import { type CannonResult, failureKinds, outcomes, runCannon, unknownOutcomes } from "./cannon.ts";
import { acceptQueue, pgActivity, scrapeLoopDelay } from "./probes.ts";
import { startBare, startCentralTarget, startEdgeTarget, type Target } from "./targets.ts";

const openFiles = ensureOpenFiles(65_536);
const { values } = parseArgs({
  options: {
    levels: { type: "string", default: "500,1000,5000,10000" },
    seconds: { type: "string", default: "10" },
    out: { type: "string", default: "docs/load-test" },
    keep: { type: "boolean", default: false },
    workers: { type: "string", default: String(availableParallelism()) },
    scaling: { type: "string", default: "" },
  },
});
const counts = (text: string, what: string) => {
  const list = text === "" ? [] : text.split(",").map(Number);
  if (list.some((n) => !Number.isInteger(n) || n < 1)) {
    console.error(`${what} takes positive whole numbers, comma-separated; got "${text}"`);
    process.exit(2);
  }
  return list;
};
const workers = counts(values.workers ?? "", "--workers")[0] ?? availableParallelism();
const scaling = counts(values.scaling ?? "", "--scaling");
const levels = (values.levels ?? "").split(",").map(Number);
const seconds = Number(values.seconds);
const outDir = resolve(repoRoot, values.out ?? "docs/load-test");
mkdirSync(outDir, { recursive: true });
const workDir = mkdtempSync(join(tmpdir(), "plantlink-load-"));
console.log(
  `levels ${levels.join(", ")}; ${seconds} s each; central workers ${workers}` +
    (scaling.length > 0 ? `; scaling run with ${scaling.join(", ")} workers` : "") +
    `; open files ${openFiles}; ${machineLoad()} at start`,
);

const db = await startBenchDatabase(workDir, "load");
const [bare, central, edge] = await Promise.all([
  startBare(),
  startCentralTarget(db, workDir, workers),
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
  /** Central's worker count, for central's scenarios. */
  workers?: number;
}
const auth = (token: string) => ({ authorization: `Bearer ${token}` });
const centralRows = async () =>
  Number((await db.sql<{ n: string }[]>`select count(*)::text as n from readings`)[0]?.n);
const edgeRows = async () => {
  const status = (await (await fetch(`${edge.url}/v1/status`)).json()) as { bufferedRows: number };
  return status.bufferedRows;
};
function centralScenarios(target: typeof central): Scenario[] {
  return [
    {
      key: "central-post",
      label: "central POST /v1/readings",
      target,
      workers: target.workers,
      method: "POST",
      path: "/v1/readings",
      headers: auth(target.ingestToken),
      ceiling: "bare-post",
      stored: centralRows,
    },
    {
      key: "central-averages",
      label: "central GET /v1/averages, gzip",
      target,
      workers: target.workers,
      method: "GET",
      path: "/v1/averages?window=24h",
      // As every browser and BI client asks for it: the answer goes gzip-encoded (a tenth of the bytes).
      headers: { ...auth(target.viewerToken), "accept-encoding": "gzip" },
      ceiling: "bare-get",
    },
  ];
}
/**
 * The same-size ceiling: bare Hono answering as many bytes as central's averages answer puts on the
 * wire right now (measured before each level), so the ratio says what central's work costs beyond
 * moving bytes.
 */
const sizedScenario: Scenario = {
  key: "bare-get-sized",
  label: "bare Hono GET, same bytes",
  target: bare,
  method: "GET",
  path: "/v1/sized",
  headers: {},
};
async function sizeLikeCentral(): Promise<void> {
  const response = await fetch(`${central.url}/v1/averages?window=24h`, {
    headers: { ...auth(central.viewerToken), "accept-encoding": "gzip" },
  });
  await response.arrayBuffer();
  // fetch inflates the body; the bytes on the wire are the ones the ceiling must send.
  const bytes = Number(response.headers.get("content-length"));
  sizedScenario.path = `/v1/sized?bytes=${bytes}`;
  console.error(`central's 24 h averages answer: ${int(bytes)} bytes on the wire (gzip)`);
}
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
  ...centralScenarios(central),
  sizedScenario,
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
  accept: { maxWaiting: number; overflows: number };
  stored?: number;
}
const rows: Row[] = [];
/** The scaling run's rows: central's scenarios again, once per worker count. */
const scalingRows: Row[] = [];
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
const isCentral = (scenario: Scenario) => scenario.key.startsWith("central");

async function measure(scenario: Scenario, level: number): Promise<Row> {
  const before = scenario.stored ? await scenario.stored() : 0;
  await scrapeLoopDelay(scenario.key, scenario.target.url, edge.url); // starts a fresh delay window
  const cpu = cpuWindow({ target: scenario.target.pid, postgres: db.pgPid, generator: 0 });
  const pg = isCentral(scenario) ? pgActivity(db.sql) : undefined;
  const queue = acceptQueue(Number(new URL(scenario.target.url).port));
  const result = await request(scenario, level, seconds);
  const used = cpu.stop();
  const activity = (await pg?.stop()) ?? "–";
  const accept = await queue.stop();
  // Requests that timed out or were in flight at the end may still commit: let them land first.
  await new Promise((r) => setTimeout(r, 3000));
  const loop = await scrapeLoopDelay(scenario.key, scenario.target.url, edge.url);
  const stored = scenario.stored ? (await scenario.stored()) - before : undefined;
  const o = outcomes(result);
  console.error(
    `${level} ${scenario.key}${scenario.workers ? ` (${scenario.workers} workers)` : ""}: ${int(result.perSecond)} req/s, p99 ${ms(result.p99)}, ` +
      `503 ${o.refused}, timed out ${o.timeouts}, other failures ${o.otherFailures}` +
      (stored === undefined ? "" : `, acked ${result.ok}, stored ${stored}`),
  );
  return {
    scenario,
    level,
    result,
    cpu: used,
    loop,
    pg: activity,
    accept,
    ...(stored === undefined ? {} : { stored }),
  };
}

let edgeStoredTwice = Number.NaN;
try {
  // Warm-up, not measured: the first requests of a fresh process pay for module loading and JIT.
  for (const scenario of scenarios) await request(scenario, 20, 3);
  for (const level of levels) {
    for (const scenario of scenarios) {
      if (scenario === sizedScenario) await sizeLikeCentral();
      rows.push(await measure(scenario, level));
    }
  }
  await central.stop();
  for (const count of scaling) {
    const scaled = await startCentralTarget(db, workDir, count);
    try {
      const list = centralScenarios(scaled);
      for (const scenario of list) await request(scenario, 20, 3);
      for (const level of levels) {
        for (const scenario of list) scalingRows.push(await measure(scenario, level));
      }
    } finally {
      await scaled.stop();
    }
  }
} finally {
  await Promise.all([bare.stop(), central.stop(), edge.stop()]);
  try {
    edgeStoredTwice = edge.storedTwice();
  } catch (error) {
    console.error(`could not read the edge's buffer file for duplicates: ${(error as Error).message}`);
  }
  await db.close();
  if (!values.keep) rmSync(workDir, { recursive: true, force: true });
}

const ceilingOf = (row: Row) =>
  rows.find((r) => r.level === row.level && r.scenario.key === row.scenario.ceiling)?.result.perSecond;
const ratioOf = (row: Row) => {
  const ceiling = ceilingOf(row);
  return ceiling ? row.result.perSecond / ceiling : Number.NaN;
};
const labelOf = (r: Row) =>
  r.scenario.workers ? `${r.scenario.label} (${r.scenario.workers} w.)` : r.scenario.label;
console.log(`\nmachine at the end: ${machineLoad()}\n`);
console.log(
  table(
    [
      "target",
      "connections",
      "req/s",
      "× ceiling",
      "p50",
      "p90",
      "p99",
      "max",
      "2xx",
      "503 (refused)",
      "timed out",
      "other failures",
      "failures (kind ×n)",
    ],
    rows.map((r) => {
      const o = outcomes(r.result);
      return [
        labelOf(r),
        int(r.level),
        int(r.result.perSecond),
        r.scenario.ceiling ? ratioOf(r).toFixed(2) : "1 (ceiling)",
        ms(r.result.p50),
        ms(r.result.p90),
        ms(r.result.p99),
        ms(r.result.max),
        int(o.ok),
        int(o.refused),
        int(o.timeouts),
        int(o.otherFailures),
        failureKinds(r.result),
      ];
    }),
  ),
);
console.log(
  `\nWhere the time goes (CPU % of one core over the run, a process with its children; the machine has ${availableParallelism()}). ` +
    "Accept queue: the most connections at once waiting for the target to accept them (their first request waits with them), and the handshakes the kernel dropped because a queue was full (ListenOverflows, every listener):\n",
);
console.log(
  table(
    [
      "target",
      "connections",
      "target CPU",
      "PostgreSQL CPU",
      "generator CPU",
      "event-loop p99 / max",
      "accept queue: most waiting / overflows",
      "PostgreSQL sessions",
    ],
    rows.map((r) => [
      labelOf(r),
      int(r.level),
      pct(r.cpu.target ?? Number.NaN),
      isCentral(r.scenario) ? pct(r.cpu.postgres ?? Number.NaN) : "–",
      pct(r.cpu.generator ?? Number.NaN),
      Number.isFinite(r.loop.p99) ? `${ms(r.loop.p99)} / ${ms(r.loop.max)}` : "–",
      `${int(r.accept.maxWaiting)} / ${int(r.accept.overflows)}`,
      r.pg,
    ]),
  ),
);
if (scalingRows.length > 0) {
  const baseline = (r: Row) =>
    scalingRows.find(
      (b) => b.level === r.level && b.scenario.key === r.scenario.key && b.scenario.workers === scaling[0],
    )?.result.perSecond;
  console.log(
    `\nScaling: central's requests/s by worker count (PLANTLINK_CENTRAL_WORKERS), ratios to ${scaling[0]} worker(s) in the same run. Generator, PostgreSQL and central share the ${availableParallelism()} cores.\n`,
  );
  console.log(
    table(
      [
        "target",
        "workers",
        "connections",
        "req/s",
        `× ${scaling[0]} w.`,
        "p99",
        "503",
        "timed out",
        "central CPU",
        "PostgreSQL CPU",
      ],
      scalingRows.map((r) => {
        const o = outcomes(r.result);
        const base = baseline(r);
        return [
          r.scenario.label,
          String(r.scenario.workers ?? "?"),
          int(r.level),
          int(r.result.perSecond),
          base ? (r.result.perSecond / base).toFixed(2) : "–",
          ms(r.result.p99),
          int(o.refused),
          int(o.timeouts),
          pct(r.cpu.target ?? Number.NaN),
          pct(r.cpu.postgres ?? Number.NaN),
        ];
      }),
    ),
  );
}
console.log(
  "\nAcknowledged vs stored. Every request carries a reading no other request carries, so each acknowledged reading must be stored exactly once: stored ≥ acknowledged (nothing lost), and stored − acknowledged no more than the requests whose outcome the client never learnt (failed, timed out or in flight at the end: those may have committed after the client gave up). Central's primary key (sensor, instant) cannot hold a reading twice; the edge's buffer can, so it is checked for readings stored twice after the run.\n",
);
const writes = [...rows, ...scalingRows].filter((r) => r.stored !== undefined);
const lostOf = (r: Row) => Math.max(0, r.result.ok - (r.stored ?? 0));
const verdictOf = (r: Row) => {
  const extra = (r.stored ?? 0) - r.result.ok;
  return extra >= 0 && extra <= unknownOutcomes(r.result) ? "ok" : extra < 0 ? "LOST" : "MISMATCH";
};
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
    writes.map((r) => [
      labelOf(r),
      int(r.level),
      int(r.result.ok),
      int(r.stored ?? 0),
      int((r.stored ?? 0) - r.result.ok),
      int(unknownOutcomes(r.result)),
      verdictOf(r),
    ]),
  ),
);
console.log(
  `\nedge buffer: ${Number.isNaN(edgeStoredTwice) ? "not read" : `${int(edgeStoredTwice)} reading(s) stored twice`}`,
);

// Issue 17's targets, from this run: ratios to the bare ceiling at 500 and 1,000 connections; no
// time-outs (503 is an acceptable refusal) and nothing lost at 5,000 and 10,000.
const targetLines: { pass: boolean | undefined; text: string }[] = [];
const rowAt = (key: string, level: number) => rows.find((r) => r.scenario.key === key && r.level === level);
for (const level of [500, 1000]) {
  for (const [key, minimum] of [
    ["central-post", 0.3],
    ["central-averages", 0.3],
    ["edge-post", 0.5],
  ] as const) {
    const row = rowAt(key, level);
    const ratio = row ? ratioOf(row) : Number.NaN;
    const label = scenarios.find((s) => s.key === key)?.label ?? key;
    targetLines.push({
      pass: row && Number.isFinite(ratio) ? ratio >= minimum : undefined,
      text: `${label} at ${int(level)}: ≥ ${minimum}× ceiling — ${row ? `${ratio.toFixed(2)}×` : "level not run"}`,
    });
  }
}
for (const level of [5000, 10000]) {
  for (const key of ["central-post", "central-averages", "edge-post"]) {
    const row = rowAt(key, level);
    const label = scenarios.find((s) => s.key === key)?.label ?? key;
    if (!row) {
      targetLines.push({
        pass: undefined,
        text: `${label} at ${int(level)}: 0 timed out, 0 lost — level not run`,
      });
      continue;
    }
    const o = outcomes(row.result);
    const lost = row.stored === undefined ? 0 : lostOf(row);
    targetLines.push({
      pass: o.timeouts === 0 && lost === 0,
      text: `${label} at ${int(level)}: 0 timed out, 0 lost — ${int(o.timeouts)} timed out, ${int(lost)} lost (503: ${int(o.refused)})`,
    });
  }
}
console.log("\nTargets (issue 17):\n");
for (const line of targetLines) {
  console.log(`${line.pass === undefined ? "n/a " : line.pass ? "PASS" : "FAIL"}  ${line.text}`);
}
// Not a target: the tiny bare answer measures the framework alone, this one the bytes too.
for (const level of levels) {
  const row = rowAt("central-averages", level);
  const sized = rowAt("bare-get-sized", level);
  if (row && sized) {
    console.log(
      `info  ${row.scenario.label} at ${int(level)} beside bare Hono answering as many bytes: ` +
        `${(row.result.perSecond / sized.result.perSecond).toFixed(2)}×`,
    );
  }
}

/** The charts' legend has room for 17 characters. */
const CHART_NAMES: Record<string, string> = {
  "bare-post": "bare POST",
  "bare-get": "bare GET",
  "central-post": "central POST",
  "central-averages": "central GET gzip",
  "bare-get-sized": "bare GET same B",
  "edge-post": "edge POST",
};
const series = (metric: (r: Row) => number) =>
  scenarios.map((s) => ({
    name: CHART_NAMES[s.key] ?? s.key,
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
if (writes.some((r) => verdictOf(r) !== "ok") || edgeStoredTwice > 0) {
  console.error("FAIL: an acknowledged reading was lost, or a reading was stored twice");
  process.exit(1);
}
