/**
 * `pnpm bench sync-drain [--readings 2000000] [--sensors 2000] [--batch 20000] [--in-flight 2]
 *  [--gzip 6] [--rounds 4] [--sweep-readings 200000] [--sweep-batches 1000,5000,20000,50000]
 *  [--sweep-in-flight 1,2,4,8] [--no-sweep]`
 *
 * An edge buffer pre-filled with a backlog (2,000 sensors, one reading per sensor per second) drains
 * through the real forwarder to central on the same machine, over HTTPS with a private CA and gzip.
 * Prints readings/s, bytes per reading, and the CPU of each side (edge process, central process,
 * PostgreSQL). Beside it, the baseline: the same batches pre-encoded and posted straight to a second
 * central with the same concurrency (no buffer reads, no marking) — what central and PostgreSQL take.
 * The machine is shared and its load swings, so the backlog drains in `--rounds` slices, each slice
 * once through the forwarder and once as the baseline, and each adds up its own. Then a sweep of
 * batch size × batches in flight on a smaller backlog. Target: ≥ 40,000 readings/s, 20× a site.
 */
import { readFileSync } from "node:fs";
import { rm } from "node:fs/promises";
import { loadavg, tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { pino } from "pino";
import { encodeBatch, takeBatch } from "../../edge/src/forwarder/batch.ts";
import { type CentralClient, createCentralClient } from "../../edge/src/forwarder/client.ts";
import { startForwarder } from "../../edge/src/forwarder/forwarder.ts";
import { ownCpuSeconds, treeCpuSeconds } from "./cpu.ts";
import { type CentralUnderTest, EDGE_ID, type Rig, startRig } from "./rig.ts";

const { values } = parseArgs({
  options: {
    readings: { type: "string", default: "2000000" },
    sensors: { type: "string", default: "2000" },
    batch: { type: "string", default: "20000" },
    "in-flight": { type: "string", default: "2" },
    gzip: { type: "string", default: "6" },
    rounds: { type: "string", default: "4" },
    "sweep-readings": { type: "string", default: "200000" },
    "sweep-batches": { type: "string", default: "1000,5000,20000,50000" },
    "sweep-in-flight": { type: "string", default: "1,2,4,8" },
    "no-sweep": { type: "boolean", default: false },
  },
});
const readings = Number(values.readings);
const gzipLevel = Number(values.gzip);
const rounds = Math.max(1, Number(values.rounds));
const log = pino({ level: "warn" });

interface Config {
  batch: number;
  inFlight: number;
}

interface Tally {
  count: number;
  seconds: number;
  wire: number;
  body: number;
  cpu: { edge: number; central: number; pg: number };
  failures: number;
}

const emptyTally = (): Tally => ({
  count: 0,
  seconds: 0,
  wire: 0,
  body: 0,
  cpu: { edge: 0, central: 0, pg: 0 },
  failures: 0,
});

const clientFor = (rig: Rig, central: CentralUnderTest, inFlight: number): CentralClient =>
  createCentralClient({
    url: central.url,
    token: central.token,
    ca: readFileSync(rig.pki.ca.cert),
    clientCert: undefined,
    connections: inFlight,
    connectTimeoutMs: 10_000,
    requestTimeoutMs: 120_000,
  });

/** Runs `work` against `central`, adding its time, CPU of each side and bytes to `tally`. */
async function measured(
  rig: Rig,
  central: CentralUnderTest,
  config: Config,
  count: number,
  tally: Tally,
  work: (client: CentralClient) => Promise<{ failures: number; body: number }>,
): Promise<void> {
  const client = clientFor(rig, central, config.inFlight);
  const pid = central.pid() ?? 0;
  const cpu = () => ({
    edge: ownCpuSeconds(),
    central: treeCpuSeconds(pid),
    pg: rig.pgPid === undefined ? Number.NaN : treeCpuSeconds(rig.pgPid),
  });
  const before = cpu();
  const started = performance.now();
  const { failures, body } = await work(client);
  tally.seconds += (performance.now() - started) / 1000;
  const after = cpu();
  tally.count += count;
  tally.wire += client.wireBytes().sent;
  tally.body += body;
  tally.failures += failures;
  tally.cpu.edge += after.edge - before.edge;
  tally.cpu.central += after.central - before.central;
  tally.cpu.pg += after.pg - before.pg;
  await client.close();
}

/** The forwarder drains seqs [first, last] of the buffer: the figure this benchmark is about. */
function drain(
  rig: Rig,
  central: CentralUnderTest,
  config: Config,
  first: number,
  last: number,
  tally: Tally,
) {
  rig.unsyncRange(first, last);
  return measured(rig, central, config, last - first + 1, tally, async (client) => {
    const forwarder = startForwarder(
      {
        edgeId: EDGE_ID,
        centralUrl: central.url,
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
      { ...rig.edge, client, log, now: Date.now, random: Math.random },
    );
    while (rig.edge.buffer.countUnsynced() > 0) await new Promise((r) => setTimeout(r, 20));
    const { totals } = forwarder.status();
    await forwarder.close();
    return { failures: totals.failures, body: totals.bytesSent };
  });
}

/** Seqs [first, last] as the forwarder would batch them, pre-encoded, posted straight to central. */
async function baseline(
  rig: Rig,
  central: CentralUnderTest,
  config: Config,
  first: number,
  last: number,
  tally: Tally,
) {
  rig.unsyncRange(first, last);
  const bodies: Buffer[] = [];
  // Encoded before the clock starts: the baseline is central's side alone.
  for (let after = first - 1; ; ) {
    const rows = rig.edge.buffer.readUnsynced({ afterSeq: after, limit: config.batch });
    const batch = takeBatch(
      rows,
      "backlog",
      { maxReadings: config.batch, maxBytes: config.batch * 200 },
      config.batch,
    );
    if (!batch) break;
    after = batch.readings[batch.readings.length - 1]?.seq ?? after;
    bodies.push(await encodeBatch(batch, { edgeId: EDGE_ID, backlog: 0, oldestUnsyncedMs: 0 }, gzipLevel));
  }
  await measured(rig, central, config, last - first + 1, tally, async (client) => {
    let next = 0;
    let failures = 0;
    const worker = async () => {
      for (let body = bodies[next++]; body; body = bodies[next++]) {
        while ((await client.send(body)).kind !== "ok") failures += 1;
      }
    };
    await Promise.all(Array.from({ length: config.inFlight }, worker));
    return { failures, body: bodies.reduce((n, b) => n + b.byteLength, 0) };
  });
}

const n0 = (n: number) => Math.round(n).toLocaleString("en-US");
const per1M = (seconds: number, count: number) =>
  Number.isNaN(seconds) ? "n/a" : ((seconds / count) * 1e6).toFixed(1);
const row = (label: string, config: Config, t: Tally) =>
  `| ${label} | ${n0(t.count)} | ${n0(config.batch)} | ${config.inFlight} | **${n0(t.count / t.seconds)}** | ` +
  `${t.seconds.toFixed(1)} | ${(t.wire / t.count).toFixed(1)} | ${(t.body / t.count).toFixed(1)} | ` +
  `${per1M(t.cpu.edge, t.count)} / ${per1M(t.cpu.central, t.count)} / ${per1M(t.cpu.pg, t.count)} | ${t.failures} |`;
const HEAD =
  "| run | readings | batch | in flight | readings/s | s | wire B/reading | gzip body B/reading | CPU s per 1M readings: edge / central / PostgreSQL | failed attempts |\n" +
  "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- | ---: |";

const workDir = join(tmpdir(), `plantlink-bench-sync-drain-${process.pid}`);
console.log(`filling an edge buffer with ${n0(readings)} readings of ${n0(Number(values.sensors))} sensors…`);
const rig = await startRig(workDir, { readings, sensors: Number(values.sensors) });
const load = () => loadavg()[0]?.toFixed(1);
try {
  const main: Config = { batch: Number(values.batch), inFlight: Number(values["in-flight"]) };
  const forwarderCentral = await rig.central("forwarder");
  const baselineCentral = await rig.central("baseline");
  const ours = emptyTally();
  const base = emptyTally();
  const loadBefore = load();
  const slice = Math.ceil(readings / rounds);
  for (let first = 1; first <= readings; first += slice) {
    const last = Math.min(readings, first + slice - 1);
    await drain(rig, forwarderCentral, main, first, last, ours);
    await baseline(rig, baselineCentral, main, first, last, base);
    console.log(
      `  seqs ${n0(first)}–${n0(last)}: forwarder ${n0(ours.count / ours.seconds)}/s, baseline ${n0(base.count / base.seconds)}/s so far`,
    );
  }
  console.log(
    `\nload average ${loadBefore} → ${load()} on ${rig.pgPid ? "an embedded" : "DATABASE_URL's"} PostgreSQL\n`,
  );
  console.log(HEAD);
  console.log(row("forwarder: edge buffer → HTTPS → central", main, ours));
  console.log(row("baseline: the same batches pre-encoded, posted straight", main, base));
  const rate = ours.count / ours.seconds;
  console.log(`\nforwarder / baseline: ${(rate / (base.count / base.seconds)).toFixed(2)}`);
  console.log(`target 40,000 readings/s (20× a site's 2,000/s): ${rate >= 40_000 ? "met" : "NOT met"}`);
  console.log(
    `a day offline (172.8 M readings) drains in ${(172_800_000 / rate / 3600).toFixed(1)} h at this rate\n`,
  );
  await baselineCentral.stop();

  if (!values["no-sweep"]) {
    const count = Math.min(readings, Number(values["sweep-readings"]));
    const rows: string[] = [];
    for (const batch of values["sweep-batches"].split(",").map(Number)) {
      for (const inFlight of values["sweep-in-flight"].split(",").map(Number)) {
        await forwarderCentral.truncate();
        const tally = emptyTally();
        await drain(rig, forwarderCentral, { batch, inFlight }, readings - count + 1, readings, tally);
        rows.push(row("sweep", { batch, inFlight }, tally));
        console.log(
          `  batch ${n0(batch)}, in flight ${inFlight}: ${n0(tally.count / tally.seconds)} readings/s (load ${load()})`,
        );
      }
    }
    console.log(`\n${HEAD}\n${rows.join("\n")}\n`);
  }
  await forwarderCentral.stop();
  console.log(
    "edge CPU is this process (forwarder and buffer; the baseline's encoding is not timed); central is",
  );
  console.log(
    "its node process; PostgreSQL is the postmaster and its backends. Wire bytes are HTTP bytes sent",
  );
  console.log("(TLS framing adds ~0.2 %).");
} finally {
  await rig.close();
  await rm(workDir, { recursive: true, force: true });
}
