/**
 * `pnpm simulate`: the command line around simulate.ts. Reads flags (and the credentials `pnpm start`
 * left in the data directory, so no flag is needed beside it), runs, prints a summary. Ctrl-C stops
 * the fleet, waits for outstanding acknowledgements and prints the summary too.
 */
import { existsSync } from "node:fs";
import { readFile } from "node:fs/promises";
import { join, resolve } from "node:path";
import { readCredentials } from "../start/credentials.ts";
import type { LoginSource } from "./devices.ts";
import { parseOptions, type SimulateOptions, USAGE, UsageError } from "./options.ts";
import { type HistorySummary, type LiveSummary, simulateHistory, simulateLive } from "./simulate.ts";

const n = (value: number) => Math.round(value).toLocaleString("en-US");

function loginSource(options: SimulateOptions, dataDir: string): LoginSource {
  if (options.anonymous) return { kind: "anonymous" };
  const credentialsFile = resolve(options.credentials ?? join(dataDir, "simulate", "devices.json"));
  const edgeDataDir = resolve(options["edge-data-dir"] ?? join(dataDir, "edge"));
  // Registering needs the edge's buffer file on this machine; a remote edge needs a credentials file.
  if (existsSync(edgeDataDir)) return { kind: "register", edgeDataDir, credentialsFile };
  if (options.credentials) return { kind: "file", credentialsFile };
  throw new UsageError(
    `no edge data directory at ${edgeDataDir} to register the simulated devices in: run pnpm start first, ` +
      "pass --edge-data-dir, --credentials FILE (devices registered by hand) or --anonymous",
  );
}

function printLive(summary: LiveSummary): void {
  const out = process.stdout;
  out.write(
    `\n${n(summary.devices)} devices for ${summary.seconds.toFixed(1)} s` +
      `${summary.registered > 0 ? ` (${n(summary.registered)} newly registered)` : ""}:\n` +
      `  sent ${n(summary.sent)}, acknowledged ${n(summary.acked)} (${n(summary.ackedPerSecond)}/s), errors ${n(summary.errors)}\n` +
      `  acknowledgement latency p50 ${summary.ackMs.p50.toFixed(1)} ms, p99 ${summary.ackMs.p99.toFixed(1)} ms, max ${summary.ackMs.max.toFixed(0)} ms\n` +
      `  held back by silences ${n(summary.skipped)}, out-of-range spikes ${n(summary.spikes)}, reconnects ${n(summary.reconnects)}\n`,
  );
  for (const [kind, count] of Object.entries(summary.errorKinds))
    out.write(`  error × ${n(count)}: ${kind}\n`);
  if (summary.csv) out.write(`  backfill file: ${summary.csv.file} (${n(summary.csv.rows)} rows)\n`);
}

function printHistory(summary: HistorySummary): void {
  process.stdout.write(
    `\nhistory for ${n(summary.devices)} devices in ${summary.seconds.toFixed(1)} s:\n` +
      `  posted ${n(summary.posted)} readings (${n(summary.readingsPerSecond)}/s) in ${n(summary.requests)} requests\n` +
      `  inserted ${n(summary.inserted)}, duplicates ${n(summary.duplicates)}, conflicts ${n(summary.conflicts)}, ` +
      `set aside ${n(summary.setAside)} (the -9999 error value)\n` +
      `  held back by silences ${n(summary.skipped)}${summary.csv ? ` → ${summary.csv.file}` : ""}\n`,
  );
}

async function run(argv: string[]): Promise<number> {
  const options = parseOptions(argv, process.env);
  if (options.help) {
    process.stdout.write(`${USAGE}\n`);
    return 0;
  }
  const dataDir = resolve(options["data-dir"]);
  const started = await readCredentials(dataDir);
  const siteOffsetMinutes = -new Date().getTimezoneOffset();
  const fleet = {
    devices: options.devices,
    prefix: options.prefix,
    first: options.first,
    seed: options.seed,
    faults: options.faults,
    siteOffsetMinutes,
    csvFile: options.csv ? resolve(options.csv) : undefined,
  };

  if (options.history !== undefined) {
    const token = options.token ?? started?.tokens.ingest;
    if (!token) {
      throw new UsageError(
        "--history needs a token: --token (an ingest token), PLANTLINK_SIMULATE_TOKEN, or pnpm start's",
      );
    }
    const caFile = options.ca ?? started?.addresses.caFile;
    const spanDays = options.history / 86_400_000;
    const total = Math.ceil(options.history / options.interval) * options.devices;
    process.stderr.write(
      `writing ${spanDays.toFixed(1)} days × ${n(options.devices)} devices: ${n(total)} readings\n`,
    );
    const tty = process.stderr.isTTY === true;
    let lastShown = 0;
    const summary = await simulateHistory({
      ...fleet,
      spanMs: options.history,
      intervalMs: options.interval,
      target: {
        url: options.central ?? started?.addresses.centralUrl ?? "https://127.0.0.1:8080",
        token,
        ca: caFile ? await readFile(caFile, "utf8") : undefined,
      },
      onProgress(p) {
        const now = performance.now();
        if (now - lastShown < (tty ? 500 : 10_000)) return;
        lastShown = now;
        const done = p.posted + p.skipped;
        const line = `${((100 * done) / p.total).toFixed(1)} % · ${n(p.posted)} posted · ${n(p.posted / (p.elapsedMs / 1000))}/s · inserted ${n(p.inserted)} · duplicates ${n(p.duplicates)}`;
        process.stderr.write(tty ? `\r\x1b[2K${line}` : `${line}\n`);
      },
    });
    if (tty) process.stderr.write("\n");
    if (options.json) process.stdout.write(`${JSON.stringify(summary)}\n`);
    else printHistory(summary);
    return 0;
  }

  const mqttUrl = options.mqtt ?? started?.addresses.mqttUrl ?? "mqtt://127.0.0.1:1883";
  const abort = new AbortController();
  let signals = 0;
  const onSignal = () => {
    signals += 1;
    if (signals > 1) process.exit(130); // a second Ctrl-C: do not wait for the drain
    process.stderr.write("\nstopping: waiting for outstanding acknowledgements (Ctrl-C again to quit now)\n");
    abort.abort();
  };
  process.on("SIGINT", onSignal);
  process.on("SIGTERM", onSignal);
  process.stderr.write(
    `simulating ${n(options.devices)} devices × ${options.rate} reading/s on ${mqttUrl} (QoS ${options.qos})` +
      `${options.duration ? ` for ${options.duration / 1000} s` : "; Ctrl-C stops"}\n`,
  );
  const summary = await simulateLive(
    {
      ...fleet,
      mqttUrl,
      logins: loginSource(options, dataDir),
      rate: options.rate,
      qos: options.qos as 0 | 1 | 2,
      connectRate: options["connect-rate"],
      maxPendingConnects: options["max-pending"],
      invalidFraction: options.invalid,
      durationMs: options.duration,
      progressOut: process.stderr,
      edgeStatusUrl: started ? `${started.addresses.edgeHttpUrl}/v1/status` : undefined,
    },
    abort.signal,
  );
  process.off("SIGINT", onSignal);
  process.off("SIGTERM", onSignal);
  if (options.json) process.stdout.write(`${JSON.stringify(summary)}\n`);
  else printLive(summary);
  return summary.errors > 0 ? 1 : 0;
}

run(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    if (error instanceof UsageError) {
      process.stderr.write(`${error.message}\n\n${USAGE}\n`);
      process.exitCode = 2;
      return;
    }
    process.stderr.write(`simulate failed: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exitCode = 1;
  },
);
