/**
 * The edge under MQTT load, as its own process (bench/edge-ingest/edge-process.ts: startEdge, plus
 * event-loop and CPU reports over stdin), on fixed ports so it can be SIGKILLed and started again on
 * the same buffer file for the reconnect storm. The device registry is filled before the first start.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { hashPassword, loadEdgeConfig, openStore } from "@plantlink/edge";
import { freePort } from "../../central/src/db/free-port.ts";
import { repoRoot } from "../../test/e2e/support/processes.ts";

export interface EdgeProcess {
  mqttPort: number;
  pid(): number | undefined;
  start(): Promise<void>;
  ask(command: string): Promise<Record<string, number>>;
  kill9(): Promise<void>;
  close(): Promise<void>;
}

/** Registers `ids` with one shared password hash: the edge still checks a password per login. */
export async function registerDevices(env: Record<string, string>, ids: readonly string[], password: string) {
  const hash = await hashPassword(password, "generated");
  const store = openStore(loadEdgeConfig(env));
  store.db.transaction(() => {
    for (const id of ids) store.registry.addDevice(id, hash, Date.now());
  })();
  store.close();
}

export async function edgeEnv(dataDir: string): Promise<Record<string, string>> {
  return {
    PLANTLINK_EDGE_ID: "mqtt-bench",
    PLANTLINK_EDGE_DATA_DIR: dataDir,
    PLANTLINK_MQTT_PORT: String(await freePort()),
    PLANTLINK_EDGE_HTTP_PORT: String(await freePort()),
    PLANTLINK_EDGE_LISTEN_HOST: "127.0.0.1",
    PLANTLINK_DISK_RESERVE_BYTES: "0",
  };
}

export function edgeProcess(env: Record<string, string>): EdgeProcess {
  let child: ChildProcess | undefined;
  let lines: AsyncIterator<string> | undefined;
  const next = async () => {
    const line = await lines?.next();
    if (!line || line.done) throw new Error("the edge process ended");
    return JSON.parse(line.value) as Record<string, number>;
  };
  const exited = () =>
    new Promise<void>((resolve) => {
      if (!child || child.exitCode !== null || child.signalCode !== null) resolve();
      else child.once("exit", () => resolve());
    });
  return {
    mqttPort: Number(env.PLANTLINK_MQTT_PORT),
    pid: () => child?.pid,
    async start() {
      child = spawn(
        process.execPath,
        ["--import", "tsx", join(repoRoot, "bench/edge-ingest/edge-process.ts"), "full"],
        {
          cwd: repoRoot,
          env: { ...process.env, ...env },
          stdio: ["pipe", "pipe", "inherit"],
        },
      );
      const started = child;
      process.once("exit", () => started.kill("SIGKILL"));
      lines = createInterface({ input: child.stdout! })[Symbol.asyncIterator]();
      await next(); // { ready, mqtt, http }
    },
    async ask(command) {
      child?.stdin?.write(`${command}\n`);
      return next();
    },
    async kill9() {
      const done = exited();
      child?.kill("SIGKILL");
      await done;
    },
    async close() {
      const done = exited();
      child?.stdin?.write("close\n");
      await done;
    },
  };
}
