/**
 * Central on every core: the primary process opens the database (starting the embedded PostgreSQL),
 * migrates, makes the first admin token and keeps the partitions, then forks PLANTLINK_CENTRAL_WORKERS
 * workers (node:cluster) that share the port and do all request work. Workers hold nothing another
 * needs (DESIGN §6), so any of them may answer any request. A worker that dies is restarted after a
 * backoff; close() (SIGTERM/SIGINT in cli.ts) lets every worker drain its requests, then stops the rest.
 */
import cluster, { type Worker } from "node:cluster";
import { fileURLToPath } from "node:url";
import { Teardown } from "@plantlink/shared";
import { type Logger, pino } from "pino";
import { AggregatorRegistry } from "prom-client";
import { createTokenStore, type TokenStore } from "../auth/tokens.ts";
import type { CentralConfig } from "../config.ts";
import { openDatabase } from "../database.ts";
import { connectDatabase } from "../db/connect.ts";
import { prepareDatabase } from "../main.ts";
import { isOurs, type ToPrimary, type ToWorker } from "./messages.ts";
import { workerPoolShare } from "./pool-share.ts";

export interface CentralCluster {
  url: string;
  port: number;
  workers: number;
  firstAdminToken: string | undefined;
  /** The token store on the primary's own connection (the `pnpm start` launcher issues tokens with it). */
  tokens: TokenStore;
  /** The pids of the workers running now. */
  workerPids(): number[];
  close(): Promise<void>;
}

export interface ClusterOptions {
  log?: Logger;
  /** How long a worker may take to start serving before start-up fails. */
  startTimeoutMs?: number;
  /** How long close() waits for a worker to drain before killing it. */
  stopTimeoutMs?: number;
  /**
   * Where the workers write their logs (JSON lines, appended); unset: standard output, as the primary's
   * own default. `pnpm start` keeps the terminal for its banner and sends everything to its log file.
   */
  workerLogFile?: string | undefined;
}

export class WorkerStartError extends Error {
  readonly code = "worker_start_failed";
}

/** Restart delays after a crash: doubling from 100 ms to 30 s; a worker that ran a minute resets it. */
const restartDelayMs = (crashes: number) => Math.min(30_000, 100 * 2 ** Math.max(0, crashes - 1));
const STABLE_MS = 60_000;

function workerScript(): { exec: string; execArgv: string[] } {
  const exec = fileURLToPath(new URL("./worker.ts", import.meta.url));
  // The project runs its TypeScript through tsx; a primary started some other way (a test runner)
  // still gives its workers the loader, and never its debugger flags (a port can be taken once).
  const inherited = process.execArgv.filter((arg) => !arg.startsWith("--inspect"));
  const hasTsx = inherited.some((arg) => arg.includes("tsx"));
  const given = [...inherited, ...(process.env.NODE_OPTIONS ?? "").split(/\s+/)];
  const youngGeneration = given.some((arg) => arg.startsWith("--max-semi-space-size"))
    ? []
    : [`--max-semi-space-size=${WORKER_SEMI_SPACE_MB}`];
  return { exec, execArgv: [...inherited, ...(hasTsx ? [] : ["--import", "tsx"]), ...youngGeneration] };
}

/**
 * A worker's young generation, per semi-space (V8's default is 16 MB). Every request allocates its
 * request, headers, body and answer and drops them within milliseconds; with the default, scavenges
 * took about a quarter of a busy worker's CPU, and this size gave 10-25 % more POST /v1/readings per
 * second at 500 connections (docs/performance.md) for 100-odd MB more memory per worker at most.
 * An operator's own --max-semi-space-size (in NODE_OPTIONS) wins.
 */
export const WORKER_SEMI_SPACE_MB = 64;

export async function startCentralCluster(
  config: CentralConfig,
  options: ClusterOptions = {},
): Promise<CentralCluster> {
  const log = options.log ?? pino({ level: config.logLevel, base: { service: "central" } });
  const undo = new Teardown((error) => log.error({ msg: "shutdown step failed", err: error }));
  try {
    const database = await openDatabase(config, log, { share: false });
    undo.add(() => database.stop());
    // The primary's own connections (migrate needs two): start-up work, partition upkeep, the launcher's tokens.
    const sql = connectDatabase(database.url, { max: 2 });
    undo.add(() => sql.end({ timeout: 5 }));
    const prepared = await prepareDatabase(config, database, sql, log);
    undo.add(() => prepared.partitions.close());

    const poolMax = workerPoolShare(config.poolMax, config.workers);
    const workerConfig: CentralConfig = { ...config, databaseUrl: database.url, migrate: "never" };
    const workers = new WorkerPool({ log, config: workerConfig, poolMax, ...options });
    undo.add(() => workers.close());
    const listening = await workers.start(config.workers);
    log.info({
      msg: "central listening",
      url: listening.url,
      database: database.kind,
      workers: config.workers,
      poolPerWorker: poolMax,
    });

    let closing: Promise<void> | undefined;
    return {
      url: listening.url,
      port: listening.port,
      workers: config.workers,
      firstAdminToken: prepared.firstAdminToken,
      tokens: createTokenStore(sql),
      workerPids: () => workers.pids(),
      close: () => {
        closing ??= undo.run().then(() => log.info({ msg: "central stopped" }));
        return closing;
      },
    };
  } catch (error) {
    await undo.run();
    throw error;
  }
}

interface PoolOptions extends ClusterOptions {
  log: Logger;
  config: CentralConfig;
  poolMax: number;
}

/** The running workers: forks them, restarts the ones that die, answers their metrics requests. */
class WorkerPool {
  private readonly running = new Set<Worker>();
  private readonly aggregator = new AggregatorRegistry();
  private readonly restarts = new Set<NodeJS.Timeout>();
  private crashes = 0;
  private closing = false;

  constructor(private readonly options: PoolOptions) {
    cluster.setupPrimary(workerScript());
  }

  pids(): number[] {
    return [...this.running].flatMap((w) => (w.process.pid === undefined ? [] : [w.process.pid]));
  }

  /** Forks `count` workers and resolves once every one is serving. */
  async start(count: number): Promise<{ url: string; port: number }> {
    const started = await Promise.all(Array.from({ length: count }, () => this.fork(true)));
    const first = started[0];
    if (!first) throw new WorkerStartError("central needs at least one worker");
    return first;
  }

  /** A worker failing at the service's start fails the start; a restarted one is retried. */
  private fork(initial: boolean): Promise<{ url: string; port: number }> {
    const { log, config, poolMax } = this.options;
    const worker = cluster.fork();
    this.running.add(worker);
    const bornAt = Date.now();
    return new Promise((resolve, reject) => {
      let serving = false;
      const timer = setTimeout(() => {
        worker.process.kill("SIGKILL");
        reject(new WorkerStartError("a central worker did not start serving within its start-up time"));
      }, this.options.startTimeoutMs ?? 60_000);
      worker.on("message", (message: unknown) => {
        if (!isOurs<ToPrimary>(message)) return;
        if (message.type === "plantlink:ready") {
          const start: ToWorker = {
            type: "plantlink:start",
            config,
            poolMax,
            logFile: this.options.workerLogFile,
          };
          worker.send(start);
        } else if (message.type === "plantlink:listening") {
          serving = true;
          clearTimeout(timer);
          log.debug({ msg: "central worker serving", pid: worker.process.pid });
          resolve({ url: message.url, port: message.port });
        } else if (message.type === "plantlink:failed") {
          clearTimeout(timer);
          reject(new WorkerStartError(`a central worker could not start: ${message.reason}`));
        } else if (message.type === "plantlink:metrics") {
          void this.answerMetrics(worker, message.id);
        }
      });
      worker.once("exit", (code, signal) => {
        clearTimeout(timer);
        this.running.delete(worker);
        if (!serving)
          reject(new WorkerStartError(`a central worker exited during start-up (${signal ?? code})`));
        if (this.closing || (initial && !serving)) return;
        this.crashes = Date.now() - bornAt > STABLE_MS ? 1 : this.crashes + 1;
        const delayMs = restartDelayMs(this.crashes);
        log.error({
          msg: "a central worker died; starting a new one",
          pid: worker.process.pid,
          code,
          signal,
          restartInMs: delayMs,
        });
        const restart = setTimeout(() => {
          this.restarts.delete(restart);
          if (this.closing) return;
          // A failed restart is logged and retried by the exit handler above, with a longer delay.
          this.fork(false).catch((error: unknown) =>
            log.error({ msg: "a restarted central worker failed to start", err: error }),
          );
        }, delayMs);
        this.restarts.add(restart);
      });
    });
  }

  private async answerMetrics(worker: Worker, id: number): Promise<void> {
    let answer: ToWorker;
    try {
      answer = { type: "plantlink:metrics", id, text: await this.aggregator.clusterMetrics() };
    } catch (error) {
      answer = {
        type: "plantlink:metrics",
        id,
        error: error instanceof Error ? error.message : String(error),
      };
    }
    if (worker.isConnected()) worker.send(answer);
  }

  /** Asks every worker to drain and exit; kills the ones still there after the stop timeout. */
  async close(): Promise<void> {
    this.closing = true;
    for (const timer of this.restarts) clearTimeout(timer);
    this.restarts.clear();
    await Promise.all(
      [...this.running].map(
        (worker) =>
          new Promise<void>((resolve) => {
            if (worker.isDead()) return resolve();
            const kill = setTimeout(
              () => worker.process.kill("SIGKILL"),
              this.options.stopTimeoutMs ?? 20_000,
            );
            worker.once("exit", () => {
              clearTimeout(kill);
              resolve();
            });
            const stop: ToWorker = { type: "plantlink:stop" };
            if (worker.isConnected()) worker.send(stop);
            else worker.process.kill("SIGKILL");
          }),
      ),
    );
  }
}
