/**
 * Edge ingest benchmark: 2,000 devices connected at once (a site), publishing QoS 1 as fast as their
 * in-flight window allows, against the edge with synchronous=FULL, with NORMAL, and with the
 * durability hook switched off (same broker, same auth, no parse and no commit) — the last is the
 * baseline that prices durability. Prints a markdown table.
 *
 *   pnpm bench edge-ingest [--connections 2000] [--in-flight 5] [--count 300000] [--max-seconds 60]
 *                          [--modes off,full,normal] [--rounds 1]
 *                          [--edge-node-options "--max-semi-space-size=64"]
 *
 * The edge process runs with the Node options its image and systemd unit set (deploy/edge/); pass
 * `--edge-node-options ""` to measure it with Node's defaults.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { copyFileSync, mkdtempSync, rmSync } from "node:fs";
import { loadavg, tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { BUFFER_FILE_NAME, generatePassword, hashPassword, loadEdgeConfig, openStore } from "@plantlink/edge";
import { closeAll, connectAll, type Device, publishAll } from "./generator.ts";

const { values } = parseArgs({
  options: {
    connections: { type: "string", default: "2000" },
    "in-flight": { type: "string", default: "5" },
    count: { type: "string", default: "300000" },
    "max-seconds": { type: "string", default: "60" },
    modes: { type: "string", default: "off,full,normal" },
    rounds: { type: "string", default: "1" },
    "edge-node-options": { type: "string", default: "--max-semi-space-size=64" },
  },
});
const connections = Number(values.connections);
const inFlight = Number(values["in-flight"]);
const count = Number(values.count);
const maxSeconds = Number(values["max-seconds"]);
const modes = (values.modes ?? "").split(",").filter(Boolean) as ("off" | "full" | "normal")[];
const here = dirname(fileURLToPath(import.meta.url));
const repoRoot = join(here, "..", "..");

const env = (dir: string, mode: string): Record<string, string> => ({
  PLANTLINK_EDGE_ID: "bench",
  PLANTLINK_EDGE_DATA_DIR: dir,
  PLANTLINK_MQTT_PORT: "0",
  PLANTLINK_EDGE_HTTP_PORT: "0",
  PLANTLINK_EDGE_LISTEN_HOST: "127.0.0.1",
  PLANTLINK_DISK_RESERVE_BYTES: "100MB",
  PLANTLINK_BUFFER_SYNCHRONOUS: mode === "normal" ? "NORMAL" : "FULL",
});

/** A buffer file with every device registered, copied for each run so runs start equal. */
async function template(devices: Device[]): Promise<string> {
  const dir = mkdtempSync(join(tmpdir(), "plantlink-bench-template-"));
  const store = openStore(loadEdgeConfig(env(dir, "full")));
  const hashes = await Promise.all(devices.map((d) => hashPassword(d.password, "generated")));
  store.db.transaction(() => {
    for (const [i, d] of devices.entries()) store.registry.addDevice(d.id, hashes[i] ?? "", Date.now());
  })();
  store.close();
  return dir;
}

function startEdgeProcess(dir: string, mode: string) {
  const child: ChildProcess = spawn(
    process.execPath,
    ["--import", "tsx", join(here, "edge-process.ts"), mode],
    {
      cwd: repoRoot,
      env: { ...process.env, ...env(dir, mode), NODE_OPTIONS: values["edge-node-options"] ?? "" },
      stdio: ["pipe", "pipe", "inherit"],
    },
  );
  const lines = createInterface({ input: child.stdout! })[Symbol.asyncIterator]();
  const ask = async (command?: string) => {
    if (command) child.stdin?.write(`${command}\n`);
    const next = await lines.next();
    if (next.done) throw new Error(`edge process ended (mode ${mode})`);
    return JSON.parse(next.value) as Record<string, number>;
  };
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  const close = async () => {
    child.stdin?.write("close\n");
    await exited;
  };
  return { ask, close };
}

const quantile = (sorted: Float64Array, q: number) =>
  sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? Number.NaN;

async function runMode(mode: string, templateDir: string, devices: Device[]) {
  const dir = mkdtempSync(join(tmpdir(), `plantlink-bench-${mode}-`));
  copyFileSync(join(templateDir, BUFFER_FILE_NAME), join(dir, BUFFER_FILE_NAME));
  const edge = startEdgeProcess(dir, mode);
  try {
    const { mqtt } = await edge.ask();
    const t0 = performance.now();
    const conns = await connectAll(mqtt ?? 0, devices);
    const connectSeconds = (performance.now() - t0) / 1000;
    await edge.ask("reset");
    const result = await publishAll(conns, devices, { count, inFlight, maxSeconds });
    const report = await edge.ask("report");
    closeAll(conns);
    const sorted = result.latencies.slice().sort();
    return {
      mode,
      rate: result.acked / result.seconds,
      acked: result.acked,
      seconds: result.seconds,
      p50: quantile(sorted, 0.5),
      p99: quantile(sorted, 0.99),
      loopP99: report.loopP99Ms ?? Number.NaN,
      cpu: report.cpuPercent ?? Number.NaN,
      meanBatch: report.meanBatch ?? 0,
      rows: report.rows ?? 0,
      connectSeconds,
    };
  } finally {
    await edge.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

const devices: Device[] = Array.from({ length: connections }, (_, i) => ({
  id: `EQ-${String(i).padStart(5, "0")}`,
  password: generatePassword(),
}));
console.log(
  `${connections} devices, ${inFlight} in flight each, ${count} acknowledged publishes per run (max ${maxSeconds} s); edge Node options "${values["edge-node-options"]}"; load average ${loadavg()[0]?.toFixed(1)} at start\n`,
);
const templateDir = await template(devices);
const results: Awaited<ReturnType<typeof runMode>>[] = [];
try {
  for (let round = 0; round < Number(values.rounds); round++) {
    for (const mode of modes) {
      const r = await runMode(mode, templateDir, devices);
      results.push(r);
      console.error(
        `${mode}: ${Math.round(r.rate)} acked/s (${r.acked} in ${r.seconds.toFixed(1)} s; connect ${r.connectSeconds.toFixed(1)} s)`,
      );
      if (mode !== "off" && r.rows < r.acked)
        throw new Error(`${mode}: ${r.acked} acknowledged but ${r.rows} rows in the buffer`);
    }
  }
} finally {
  rmSync(templateDir, { recursive: true, force: true });
}

const connect = results.map((r) => r.connectSeconds);
console.log(
  `\n${connections} devices connected (CONNECT and password check) in ${Math.min(...connect).toFixed(1)}–${Math.max(...connect).toFixed(1)} s per run; load average ${loadavg()[0]?.toFixed(1)} at the end.\n`,
);
const best = (mode: string) => results.filter((r) => r.mode === mode).sort((a, b) => b.rate - a.rate)[0];
const baseline = best("off");
const label: Record<string, string> = {
  full: "durable, synchronous=FULL",
  normal: "durable, synchronous=NORMAL",
  off: "durability hook off (baseline)",
};
console.log(
  "| edge | acked readings/s | × baseline | ack p50 | ack p99 | event-loop p99 | edge CPU | CPU µs/reading | readings/commit |",
);
console.log("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |");
for (const mode of modes) {
  const r = best(mode);
  if (!r) continue;
  const ratio = baseline ? (r.rate / baseline.rate).toFixed(2) : "–";
  console.log(
    `| ${label[mode] ?? mode} | ${Math.round(r.rate).toLocaleString("en-US")} | ${ratio} | ${r.p50.toFixed(1)} ms | ${r.p99.toFixed(1)} ms | ${r.loopP99.toFixed(1)} ms | ${Math.round(r.cpu)} % | ${(((r.cpu / 100) * r.seconds * 1e6) / r.acked).toFixed(1)} | ${r.mode === "off" ? "–" : Math.round(r.meanBatch)} |`,
  );
}
