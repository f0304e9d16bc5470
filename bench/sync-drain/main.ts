/**
 * `pnpm bench sync-drain [--readings 2000000] [--sensors 2000] [--batch 5000] [--in-flight 4]
 *  [--gzip 6] [--sweep-readings 200000] [--no-sweep] [--no-baseline]`
 *
 * An edge buffer pre-filled with a backlog (2,000 sensors, one reading per sensor per second) drains
 * through the real forwarder to central on the same machine, over HTTPS with a private CA and gzip.
 * Prints readings/s, bytes per reading, and the CPU of each side (edge process, central process,
 * PostgreSQL). Beside it, in the same run: the baseline — the same batches pre-encoded and posted
 * straight to central with the same concurrency (no buffer reads, no marking), i.e. what central and
 * PostgreSQL can take; the ratio shows what the forwarder costs. Then a sweep of batch size × batches
 * in flight on a smaller backlog. Target: ≥ 40,000 readings/s, 20× a site's 2,000/s.
 */
import { readFileSync } from "node:fs";
import { rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { pino } from "pino";
import { encodeBatch, takeBatch } from "../../edge/src/forwarder/batch.ts";
import { type CentralClient, createCentralClient } from "../../edge/src/forwarder/client.ts";
import { startForwarder } from "../../edge/src/forwarder/forwarder.ts";
import { ownCpuSeconds, treeCpuSeconds } from "./cpu.ts";
import { EDGE_ID, type Rig, startRig } from "./rig.ts";

const { values } = parseArgs({
  options: {
    readings: { type: "string", default: "2000000" },
    sensors: { type: "string", default: "2000" },
    batch: { type: "string", default: "5000" },
    "in-flight": { type: "string", default: "4" },
    gzip: { type: "string", default: "6" },
    "sweep-readings": { type: "string", default: "200000" },
    "sweep-batches": { type: "string", default: "1000,5000,20000" },
    "sweep-in-flight": { type: "string", default: "1,4,8" },
    "no-sweep": { type: "boolean", default: false },
    "no-baseline": { type: "boolean", default: false },
  },
});
const readings = Number(values.readings);
const sensors = Number(values.sensors);
const gzipLevel = Number(values.gzip);
const log = pino({ level: "warn" });

interface Config {
  batch: number;
  inFlight: number;
  count: number;
}

interface Result extends Config {
  label: string;
  seconds: number;
  rate: number;
  wirePerReading: number;
  bodyPerReading: number;
  cpu: { edge: number; central: number; pg: number };
  failures: number;
}

const client = (rig: Rig, url: string, token: string, inFlight: number): CentralClient =>
  createCentralClient({
    url,
    token,
    ca: readFileSync(rig.pki.ca.cert),
    clientCert: undefined,
    connections: inFlight,
    connectTimeoutMs: 10_000,
    requestTimeoutMs: 120_000,
  });

async function measure(rig: Rig, label: string, config: Config, work: (c: CentralClient) => Promise<number>) {
  rig.resetSync(config.count);
  const central = await rig.central(label);
  const http = client(rig, central.url, central.token, config.inFlight);
  const centralPid = central.pid() ?? 0;
  const cpu = () => ({
    edge: ownCpuSeconds(),
    central: treeCpuSeconds(centralPid),
    pg: rig.pgPid === undefined ? Number.NaN : treeCpuSeconds(rig.pgPid),
  });
  const before = cpu();
  const started = performance.now();
  const failures = await work(http);
  const seconds = (performance.now() - started) / 1000;
  const after = cpu();
  const wire = http.wireBytes();
  await http.close();
  await central.stop();
  return {
    seconds,
    failures,
    wire,
    cpu: {
      edge: after.edge - before.edge,
      central: after.central - before.central,
      pg: after.pg - before.pg,
    },
  };
}

/** The forwarder draining the buffer: the figure this benchmark is about. */
async function drain(rig: Rig, label: string, config: Config): Promise<Result> {
  let bodyBytes = 0;
  const m = await measure(rig, label, config, async (http) => {
    const forwarder = startForwarder(
      {
        edgeId: EDGE_ID,
        centralUrl: "bench",
        maxReadings: config.batch,
        maxBytes: config.batch * 200,
        maxInFlight: config.inFlight,
        backoffBaseMs: 100,
        backoffCapMs: 2000,
        gzipLevel,
        liveLagMs: 30_000,
        pollMs: 50,
        closeGraceMs: 10_000,
      },
      { ...rig.edge, client: http, log, now: Date.now, random: Math.random },
    );
    while (rig.edge.buffer.countUnsynced() > 0) await new Promise((r) => setTimeout(r, 20));
    const status = forwarder.status();
    bodyBytes = status.totals.bytesSent;
    await forwarder.close();
    return status.totals.failures;
  });
  return result(label, config, m, bodyBytes);
}

/** The same batches, pre-encoded, posted straight to central: what central and PostgreSQL can take. */
async function baseline(rig: Rig, label: string, config: Config): Promise<Result> {
  rig.resetSync(config.count);
  const bodies: Buffer[] = [];
  let afterSeq = 0;
  for (;;) {
    const rows = rig.edge.buffer.readUnsynced({ afterSeq, limit: config.batch });
    const batch = takeBatch(
      rows,
      "backlog",
      { maxReadings: config.batch, maxBytes: config.batch * 200 },
      config.batch,
    );
    if (!batch) break;
    afterSeq = batch.readings[batch.readings.length - 1]?.seq ?? afterSeq;
    bodies.push(await encodeBatch(batch, { edgeId: EDGE_ID, backlog: 0, oldestUnsyncedMs: 0 }, gzipLevel));
  }
  const bodyBytes = bodies.reduce((n, b) => n + b.byteLength, 0);
  const m = await measure(rig, label, config, async (http) => {
    let next = 0;
    let failures = 0;
    const worker = async () => {
      for (let i = next++; i < bodies.length; i = next++) {
        const body = bodies[i];
        if (!body) break;
        for (;;) {
          const outcome = await http.send(body);
          if (outcome.kind === "ok") break;
          failures += 1;
        }
      }
    };
    await Promise.all(Array.from({ length: config.inFlight }, worker));
    return failures;
  });
  return result(label, config, m, bodyBytes);
}

function result(
  label: string,
  config: Config,
  m: { seconds: number; failures: number; wire: { sent: number }; cpu: Result["cpu"] },
  bodyBytes: number,
): Result {
  return {
    ...config,
    label,
    seconds: m.seconds,
    rate: config.count / m.seconds,
    wirePerReading: m.wire.sent / config.count,
    bodyPerReading: bodyBytes / config.count,
    cpu: m.cpu,
    failures: m.failures,
  };
}

const f0 = (n: number) => Math.round(n).toLocaleString("en-US");
const perMillion = (seconds: number, count: number) =>
  Number.isNaN(seconds) ? "n/a" : ((seconds / count) * 1e6).toFixed(1);

function table(results: Result[]): string {
  const head =
    "| run | readings | batch | in flight | readings/s | s | wire B/reading | gzip body B/reading | CPU s per 1M: edge / central / PostgreSQL | failed attempts |\n" +
    "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- | ---: |";
  const rows = results.map(
    (r) =>
      `| ${r.label} | ${f0(r.count)} | ${f0(r.batch)} | ${r.inFlight} | **${f0(r.rate)}** | ${r.seconds.toFixed(1)} | ` +
      `${r.wirePerReading.toFixed(1)} | ${r.bodyPerReading.toFixed(1)} | ` +
      `${perMillion(r.cpu.edge, r.count)} / ${perMillion(r.cpu.central, r.count)} / ${perMillion(r.cpu.pg, r.count)} | ${r.failures} |`,
  );
  return [head, ...rows].join("\n");
}

const workDir = join(tmpdir(), `plantlink-bench-sync-drain-${process.pid}`);
console.log(`filling an edge buffer with ${f0(readings)} readings of ${f0(sensors)} sensors…`);
const rig = await startRig(workDir, { readings, sensors });
try {
  const main: Config = {
    batch: Number(values.batch),
    inFlight: Number(values["in-flight"]),
    count: readings,
  };
  const results: Result[] = [];
  results.push(await drain(rig, "forwarder (edge buffer → HTTPS → central)", main));
  console.log(table(results));
  if (!values["no-baseline"]) {
    results.push(await baseline(rig, "baseline: pre-encoded batches posted straight", main));
    const [ours, base] = results;
    if (ours && base) console.log(`\nforwarder / baseline: ${(ours.rate / base.rate).toFixed(2)}`);
  }
  const target = 40_000;
  console.log(
    `target ${f0(target)} readings/s (20× a site's 2,000/s): ${(results[0]?.rate ?? 0) >= target ? "met" : "NOT met"}\n`,
  );
  if (!values["no-sweep"]) {
    const count = Math.min(readings, Number(values["sweep-readings"]));
    for (const batch of values["sweep-batches"].split(",").map(Number)) {
      for (const inFlight of values["sweep-in-flight"].split(",").map(Number)) {
        results.push(await drain(rig, "sweep", { batch, inFlight, count }));
        console.log(
          `  batch ${batch}, in flight ${inFlight}: ${f0(results[results.length - 1]?.rate ?? 0)} readings/s`,
        );
      }
    }
  }
  console.log(`\n${table(results)}\n`);
  console.log(
    `edge CPU is this process (forwarder + buffer); central is its node process; PostgreSQL is the`,
  );
  console.log(`postmaster and its backends. Wire bytes are HTTP bytes sent (TLS framing adds ~0.2 %).`);
} finally {
  await rig.close();
  await rm(workDir, { recursive: true, force: true });
}
