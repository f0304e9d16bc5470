/**
 * Central and edge as child processes, the way they run in production (`pnpm central serve`,
 * `pnpm edge serve`), so a test can SIGKILL them at any instant and start them again on the same
 * ports and data. Each child's output goes to a log file in the test's directory.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { closeSync, openSync, readFileSync } from "node:fs";
import { get as httpGet } from "node:http";
import { get as httpsGet } from "node:https";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

export const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), "../../..");

export interface Child {
  name: string;
  /** Starts the process (again) and waits until `ready()` answers. */
  start(): Promise<void>;
  /** SIGKILL: no shutdown code runs, like a power cut or the OOM killer. */
  kill9(): Promise<void>;
  /** SIGTERM, and wait for the exit. */
  stop(): Promise<void>;
  running(): boolean;
  starts(): number;
  /** The running process's pid (for CPU accounting), or undefined. */
  pid(): number | undefined;
}

export interface ChildOptions {
  name: string;
  /** Script relative to the repo root, e.g. central/src/cli.ts */
  script: string;
  args: string[];
  env: Record<string, string>;
  logFile: string;
  /** Resolves true once the process serves. */
  ready: () => Promise<boolean>;
  readyTimeoutMs?: number;
}

function waitExit(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => child.once("exit", () => resolve()));
}

export function defineChild(options: ChildOptions): Child {
  let child: ChildProcess | undefined;
  let starts = 0;
  const alive = () => child !== undefined && child.exitCode === null && child.signalCode === null;
  return {
    name: options.name,
    async start() {
      if (alive()) throw new Error(`${options.name} is already running`);
      const log = openSync(options.logFile, "a");
      starts += 1;
      child = spawn(process.execPath, ["--import", "tsx", join(repoRoot, options.script), ...options.args], {
        cwd: repoRoot,
        // Only what the child needs: the test runner's environment must not leak config into it.
        env: { PATH: process.env.PATH ?? "", HOME: process.env.HOME ?? "/root", ...options.env },
        stdio: ["ignore", log, log],
      });
      closeSync(log);
      const started = child;
      // A test that times out never reaches its cleanup: make sure the child dies with this process.
      const reap = () => started.kill("SIGKILL");
      process.once("exit", reap);
      started.once("exit", () => process.off("exit", reap));
      const deadline = Date.now() + (options.readyTimeoutMs ?? 90_000);
      for (;;) {
        if (started.exitCode !== null || started.signalCode !== null) {
          throw new Error(
            `${options.name} exited during start-up (${started.exitCode ?? started.signalCode}); see ${options.logFile}`,
          );
        }
        if (await options.ready().catch(() => false)) return;
        if (Date.now() > deadline)
          throw new Error(`${options.name} did not become ready; see ${options.logFile}`);
        await new Promise((r) => setTimeout(r, 50));
      }
    },
    async kill9() {
      if (!child || !alive()) return;
      child.kill("SIGKILL");
      await waitExit(child);
    },
    async stop() {
      if (!child || !alive()) return;
      child.kill("SIGTERM");
      const exited = waitExit(child);
      const timeout = setTimeout(() => child?.kill("SIGKILL"), 20_000);
      await exited;
      clearTimeout(timeout);
    },
    running: alive,
    starts: () => starts,
    pid: () => (alive() ? child?.pid : undefined),
  };
}

/** GET url → true on a 2xx; used as a readiness probe. `ca` is trusted for an https URL. */
export function answers(url: string, ca?: Buffer): Promise<boolean> {
  const get = url.startsWith("https:") ? httpsGet : httpGet;
  return new Promise((resolve) => {
    const request = get(url, { timeout: 1000, ...(ca ? { ca } : {}) }, (response) => {
      response.resume();
      resolve((response.statusCode ?? 0) >= 200 && (response.statusCode ?? 0) < 300);
    });
    request.on("timeout", () => request.destroy());
    request.on("error", () => resolve(false));
  });
}

export interface CentralChildOptions {
  databaseUrl: string;
  port: number;
  dataDir: string;
  logFile: string;
  tls?: { certFile: string; keyFile: string; caFile: string };
  env?: Record<string, string>;
}

export function centralChild(options: CentralChildOptions): Child {
  const scheme = options.tls ? "https" : "http";
  return defineChild({
    name: "central",
    script: "central/src/cli.ts",
    args: ["serve"],
    logFile: options.logFile,
    env: {
      DATABASE_URL: options.databaseUrl,
      PLANTLINK_CENTRAL_HOST: "127.0.0.1",
      PLANTLINK_CENTRAL_PORT: String(options.port),
      PLANTLINK_CENTRAL_DATA_DIR: options.dataDir,
      PLANTLINK_CENTRAL_MIGRATE: "false",
      // One process, as these tests kill and signal it; a test of the workers asks for them in `env`.
      PLANTLINK_CENTRAL_WORKERS: "1",
      LOG_LEVEL: "warn",
      ...(options.tls
        ? {
            PLANTLINK_TLS_CERT: options.tls.certFile,
            PLANTLINK_TLS_KEY: options.tls.keyFile,
          }
        : {}),
      ...options.env,
    },
    ready: () =>
      answers(
        `${scheme}://127.0.0.1:${options.port}/healthz`,
        options.tls ? readFileSync(options.tls.caFile) : undefined,
      ),
  });
}

export interface EdgeChildOptions {
  edgeId: string;
  dataDir: string;
  mqttPort: number;
  httpPort: number;
  centralUrl: string;
  centralToken: string;
  logFile: string;
  env?: Record<string, string>;
}

export function edgeChild(options: EdgeChildOptions): Child {
  return defineChild({
    name: "edge",
    script: "edge/src/cli.ts",
    args: ["serve"],
    logFile: options.logFile,
    env: {
      PLANTLINK_EDGE_ID: options.edgeId,
      PLANTLINK_EDGE_DATA_DIR: options.dataDir,
      PLANTLINK_EDGE_LISTEN_HOST: "127.0.0.1",
      PLANTLINK_MQTT_PORT: String(options.mqttPort),
      PLANTLINK_EDGE_HTTP_PORT: String(options.httpPort),
      PLANTLINK_ALLOW_ANONYMOUS: "true",
      PLANTLINK_CENTRAL_URL: options.centralUrl,
      PLANTLINK_CENTRAL_TOKEN: options.centralToken,
      PLANTLINK_DISK_RESERVE_BYTES: "0",
      LOG_LEVEL: "warn",
      ...options.env,
    },
    ready: () => answers(`http://127.0.0.1:${options.httpPort}/healthz`),
  });
}

/** The edge's GET /v1/status, or undefined while it does not answer. */
export async function edgeStatus<T>(httpPort: number): Promise<T | undefined> {
  try {
    const response = await fetch(`http://127.0.0.1:${httpPort}/v1/status`, {
      signal: AbortSignal.timeout(2000),
    });
    return response.ok ? ((await response.json()) as T) : undefined;
  } catch {
    return undefined;
  }
}
