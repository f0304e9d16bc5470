/**
 * MQTT load on one edge: 2,000, 5,000 and 10,000 devices logged in at once, QoS 1 at 1 reading/s
 * each, then as fast as each device's window allows; memory per connection; then a reconnect storm —
 * the edge is SIGKILLed under the steady load and started again, every device reconnects at once and
 * resends what was not acknowledged. At the end every acknowledged reading is looked up in the buffer.
 *
 *   pnpm bench mqtt [--levels 2000,5000,10000] [--seconds 10] [--in-flight 2] [--out docs/load-test]
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { parseArgs } from "node:util";
import { openDatabase } from "../../edge/src/buffer/database.ts";
import { repoRoot } from "../../test/e2e/support/processes.ts";
import { BASE_TS, Fleet, type Meter, newMeter } from "../support/mqtt-fleet.ts";
import { ensureOpenFiles } from "../support/open-files.ts";
import { lineChart, type Series } from "../support/png.ts";
import { cpuWindow, machineLoad, rssBytes } from "../support/proc.ts";
import { int, ms, pct, quantile, sortedCopy, table } from "../support/stats.ts";
import { edgeEnv, edgeProcess, registerDevices } from "./edge.ts";

const openFiles = ensureOpenFiles(65_536);
const { values } = parseArgs({
  options: {
    levels: { type: "string", default: "2000,5000,10000" },
    seconds: { type: "string", default: "10" },
    "in-flight": { type: "string", default: "2" },
    out: { type: "string", default: "docs/load-test" },
  },
});
const levels = (values.levels ?? "").split(",").map(Number);
const seconds = Number(values.seconds);
const inFlight = Number(values["in-flight"]);
const outDir = resolve(repoRoot, values.out ?? "docs/load-test");
mkdirSync(outDir, { recursive: true });
const sleep = (t: number) => new Promise((r) => setTimeout(r, t));
const password = "bench-password-0123456789abcdef";
console.log(
  `levels ${levels.join(", ")}; ${seconds} s per phase; open files ${openFiles}; ${machineLoad()} at start`,
);

const latency = (m: Meter) => {
  const sorted = sortedCopy(m.latencies);
  return {
    p50: quantile(sorted, 0.5),
    p99: quantile(sorted, 0.99),
    max: sorted[sorted.length - 1] ?? Number.NaN,
  };
};

async function runLevel(n: number) {
  const dir = mkdtempSync(join(tmpdir(), `plantlink-mqtt-${n}-`));
  const env = await edgeEnv(dir);
  const ids = Array.from({ length: n }, (_, i) => `DEV-${String(i).padStart(5, "0")}`);
  await registerDevices(env, ids, password);
  const edge = edgeProcess(env);
  await edge.start();
  const fleet = new Fleet(edge.mqttPort, ids, password);
  try {
    await sleep(1000);
    const rssIdle = rssBytes(edge.pid());
    let t = performance.now();
    await fleet.connectAll();
    const connectMs = performance.now() - t;
    await sleep(1000);
    const rssPerConnection = (rssBytes(edge.pid()) - rssIdle) / n;

    // 1 reading/s per device: the site's real cadence.
    await edge.ask("reset");
    let cpu = cpuWindow({ edge: edge.pid, generator: 0 });
    fleet.meter = newMeter();
    const steady = fleet.steady(1);
    await sleep(seconds * 1000);
    const { offered, skipped } = steady.stop();
    const steadyAcked = fleet.meter.acked;
    const steadyCpu = cpu.stop();
    await fleet.settle(15_000);
    const steadyReport = await edge.ask("report");
    const steadyLatency = latency(fleet.meter);

    // As fast as the window allows.
    await edge.ask("reset");
    cpu = cpuWindow({ edge: edge.pid, generator: 0 });
    fleet.meter = newMeter();
    t = performance.now();
    const flat = fleet.flat(inFlight);
    await sleep(seconds * 1000);
    flat.stop();
    const fastRate = fleet.meter.acked / ((performance.now() - t) / 1000);
    const fastCpu = cpu.stop();
    const fastReport = await edge.ask("report");
    const fastLatency = latency(fleet.meter);
    await fleet.settle(15_000);

    // The storm: SIGKILL under the steady load, start again, every device back on its own.
    fleet.meter = newMeter(250);
    const storm = fleet.steady(1);
    await sleep(3000);
    fleet.reconnecting = true;
    const resentBefore = fleet.resent;
    const killedAt = performance.now();
    await edge.kill9();
    await edge.start();
    const readyAt = performance.now();
    while (fleet.connectedCount() < n && performance.now() - readyAt < 120_000) await sleep(20);
    const allBackAt = performance.now();
    const back = fleet.connectedCount();
    await sleep(3000);
    storm.stop();
    const unacked = await fleet.settle(30_000);
    const stormChart = fleet.meter.buckets.map((v, i) => [(i * 250) / 1000, (v ?? 0) * 4] as const);
    const killSecond = (killedAt - fleet.meter.started) / 1000;
    fleet.close();
    await edge.close();

    // Every acknowledged reading must be in the buffer file.
    const db = openDatabase(join(dir, "buffer.sqlite"), { synchronous: "NORMAL", readonly: true });
    const stored = new Set<string>();
    let rows = 0;
    for (const [id, ts] of db
      .prepare("SELECT equipment_id, ts FROM readings")
      .raw()
      .iterate() as IterableIterator<[string, number]>) {
      stored.add(`${id}@${ts}`);
      rows += 1;
    }
    db.close();
    let acked = 0;
    let lost = 0;
    for (const d of fleet.devices)
      for (const seq of d.acked) {
        acked += 1;
        if (!stored.has(`${d.id}@${BASE_TS + seq}`)) lost += 1;
      }
    rmSync(dir, { recursive: true, force: true });
    return {
      n,
      connectMs,
      rssPerConnection,
      offered: offered / seconds,
      skipped,
      steadyRate: steadyAcked / seconds,
      steadyLatency,
      steadyCpu,
      steadyReport,
      fastRate,
      fastLatency,
      fastCpu,
      fastReport,
      restartMs: readyAt - killedAt,
      allBackMs: allBackAt - readyAt,
      back,
      resent: fleet.resent - resentBefore,
      unacked,
      acked,
      lost,
      storedTwice: rows - stored.size,
      stormChart,
      killSecond,
    };
  } finally {
    fleet.close();
    await edge.kill9();
  }
}

const results: Awaited<ReturnType<typeof runLevel>>[] = [];
for (const n of levels) {
  const r = await runLevel(n);
  results.push(r);
  console.error(
    `${n}: steady ${int(r.steadyRate)}/s, fast ${int(r.fastRate)}/s, back ${r.back}/${n} ${ms(r.allBackMs)} after ready, lost ${r.lost}`,
  );
}

console.log(`\nmachine at the end: ${machineLoad()}\n`);
console.log("QoS 1, 1 reading/s per device:\n");
console.log(
  table(
    [
      "devices",
      "all logged in",
      "edge RSS / connection",
      "offered/s",
      "acked/s",
      "ack p50",
      "ack p99",
      "ack max",
      "edge CPU",
      "generator CPU",
      "edge event-loop p99",
    ],
    results.map((r) => [
      int(r.n),
      ms(r.connectMs),
      `${(r.rssPerConnection / 1024).toFixed(1)} KiB`,
      int(r.offered),
      int(r.steadyRate),
      ms(r.steadyLatency.p50),
      ms(r.steadyLatency.p99),
      ms(r.steadyLatency.max),
      pct(r.steadyCpu.edge ?? Number.NaN),
      pct(r.steadyCpu.generator ?? Number.NaN),
      ms(r.steadyReport.loopP99Ms ?? Number.NaN),
    ]),
  ),
);
console.log(`\nQoS 1, as fast as possible (${inFlight} in flight per device):\n`);
console.log(
  table(
    [
      "devices",
      "acked/s",
      "ack p50",
      "ack p99",
      "ack max",
      "edge CPU",
      "generator CPU",
      "edge event-loop p99",
      "readings/commit",
    ],
    results.map((r) => [
      int(r.n),
      int(r.fastRate),
      ms(r.fastLatency.p50),
      ms(r.fastLatency.p99),
      ms(r.fastLatency.max),
      pct(r.fastCpu.edge ?? Number.NaN),
      pct(r.fastCpu.generator ?? Number.NaN),
      ms(r.fastReport.loopP99Ms ?? Number.NaN),
      int(r.fastReport.meanBatch ?? Number.NaN),
    ]),
  ),
);
console.log("\nReconnect storm (edge SIGKILLed under the 1/s load, started again on the same buffer):\n");
console.log(
  table(
    [
      "devices",
      "kill → edge ready",
      "ready → all logged in again",
      "back",
      "publishes resent",
      "acknowledged (whole run)",
      "lost",
      "stored twice at the edge",
      "never acknowledged",
    ],
    results.map((r) => [
      int(r.n),
      ms(r.restartMs),
      ms(r.allBackMs),
      `${int(r.back)} / ${int(r.n)}`,
      int(r.resent),
      int(r.acked),
      int(r.lost),
      int(r.storedTwice),
      int(r.unacked),
    ]),
  ),
);
const series: Series[] = results.map((r) => ({ name: `${r.n} devices`, points: r.stormChart }));
writeFileSync(
  join(outDir, "mqtt-restart.png"),
  lineChart({
    title: "MQTT ACKS/S THROUGH AN EDGE SIGKILL AND RESTART (1/S PER DEVICE)",
    xLabel: "seconds (kill at 3 s)",
    yLabel: "acked/s",
    series,
  }),
);
console.log(`\nchart: ${join(values.out ?? "", "mqtt-restart.png")}`);
if (results.some((r) => r.lost > 0 || r.back < r.n)) {
  console.error("FAIL: an acknowledged reading is missing from the buffer, or a device did not come back");
  process.exit(1);
}
