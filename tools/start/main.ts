/**
 * `pnpm start`: the whole system on this machine, for a person trying plantlink. Starts central and an
 * edge (system.ts), prints where everything is (banner.ts), runs the demo when asked (demo.ts), and on
 * Ctrl-C or SIGTERM closes every part in order and exits — no process is left behind, the embedded
 * PostgreSQL included.
 */
import { join, resolve } from "node:path";
import { parseArgs } from "node:util";
import { ConfigError } from "@plantlink/shared";
import { type Logger, pino } from "pino";
import { banner } from "./banner.ts";
import { runDemo } from "./demo.ts";
import { startSystem } from "./system.ts";
import { terminalLog } from "./terminal-log.ts";

const USAGE = `usage: pnpm start [--demo] [--data-dir DIR]

Runs central (embedded PostgreSQL, HTTPS with a private CA) and one edge agent forwarding to it, and
prints the dashboard address, the tokens and example commands. Ctrl-C stops everything.

  --demo           also load a month of history (and the baseline week before it) and run simulated
                   devices (or PLANTLINK_DEMO=1)
  --demo-devices N how many simulated sensors the demo runs (default 100)
  --data-dir DIR   where data, certificates and tokens live (default ./data, or PLANTLINK_DATA_DIR)

Ports and the rest come from the variables in .env.example (PLANTLINK_CENTRAL_PORT, PLANTLINK_MQTT_PORT,
PLANTLINK_EDGE_HTTP_PORT, DATABASE_URL, …).`;

function logger(logFile: string, level: string): Logger {
  // Everything to the log file; only what a person must see (warnings and errors) on the terminal,
  // so the printed addresses are not buried under request logs.
  return pino(
    { level: level === "silent" ? "silent" : "trace" },
    pino.multistream([
      { level: level as pino.Level, stream: pino.destination({ dest: logFile, mkdir: true, sync: false }) },
      { level: "warn", stream: terminalLog(process.stderr) },
    ]),
  );
}

async function main(argv: string[], env: Record<string, string | undefined>): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    options: {
      demo: { type: "boolean" },
      "demo-devices": { type: "string" },
      "data-dir": { type: "string" },
      help: { type: "boolean", short: "h" },
    },
  });
  if (values.help) {
    process.stdout.write(`${USAGE}\n`);
    return 0;
  }
  const demo = values.demo === true || ["1", "true", "yes"].includes(env.PLANTLINK_DEMO ?? "");
  const demoDevices = Number(values["demo-devices"] ?? env.PLANTLINK_DEMO_DEVICES ?? 100);
  if (!Number.isInteger(demoDevices) || demoDevices < 1) {
    process.stderr.write("--demo-devices expects a whole number ≥ 1\n");
    return 2;
  }
  const dataDir = resolve(values["data-dir"] ?? env.PLANTLINK_DATA_DIR ?? "./data");
  const logFile = join(dataDir, "logs", "plantlink.log");
  const log = logger(logFile, env.LOG_LEVEL ?? "info");

  // Signals before start-up finishes: a Ctrl-C during the first start must still stop what started.
  // One Ctrl-C arrives twice: the terminal signals the whole process group, and pnpm passes its own copy
  // on to us. A repeat within a second is that echo; a later one is a person insisting.
  const stopping = new AbortController();
  let firstSignalAt: number | undefined;
  const onSignal = (signal: NodeJS.Signals) => {
    if (firstSignalAt !== undefined) {
      if (Date.now() - firstSignalAt < 1_000) return;
      process.stderr.write(`\n${signal} again: exiting without waiting\n`);
      process.exit(130);
    }
    firstSignalAt = Date.now();
    process.stderr.write(`\n${signal}: stopping plantlink…\n`);
    stopping.abort();
  };
  process.on("SIGINT", onSignal);
  process.on("SIGTERM", onSignal);
  process.on("SIGHUP", onSignal);

  process.stderr.write(`starting plantlink (data in ${dataDir}) …\n`);
  const system = await startSystem({ dataDir, env, log, logFile });
  process.stdout.write(
    banner({
      credentials: system.credentials,
      dataDir,
      logFile,
      firstStart: system.firstStart,
      demo,
      pid: process.pid,
      cwd: process.cwd(),
    }),
  );
  process.stdout.write("\n");
  log.info({ dataDir, demo }, "plantlink started");

  const demoRun = demo
    ? runDemo(
        {
          dataDir,
          credentials: system.credentials,
          devices: demoDevices,
          log,
          onHistoryLoaded: (message) => process.stdout.write(`\n${message}\n`),
        },
        stopping.signal,
      )
    : Promise.resolve();

  await new Promise<void>((done) => {
    if (stopping.signal.aborted) return done();
    stopping.signal.addEventListener("abort", () => done(), { once: true });
  });
  // Should a part hang on close, do not hang the terminal: report and exit non-zero.
  const watchdog = setTimeout(() => {
    process.stderr.write("shutdown took over 30 s; exiting anyway\n");
    process.exit(1);
  }, 30_000);
  watchdog.unref();
  await demoRun;
  await system.close();
  log.info("plantlink stopped");
  await new Promise<void>((done) => log.flush(() => done()));
  process.stderr.write("plantlink stopped; the data stays for the next pnpm start.\n");
  return 0;
}

main(process.argv.slice(2), process.env).then(
  (code) => process.exit(code),
  (error: unknown) => {
    if (error instanceof ConfigError) {
      process.stderr.write(`${error.message}\n`);
      process.exit(2);
    }
    process.stderr.write(
      `pnpm start failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`,
    );
    process.exit(1);
  },
);
