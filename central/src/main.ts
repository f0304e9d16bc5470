/**
 * Central, assembled: reads nothing but the config it is given, opens the database (starting the
 * embedded PostgreSQL when DATABASE_URL is unset), migrates when asked, builds the parts, hands them to
 * the HTTP app, and serves. `close()` undoes all of it in reverse order; SIGTERM (in cli.ts) calls it.
 */
import { Teardown } from "@plantlink/shared";
import { type Logger, pino } from "pino";
import { AnswerCache } from "./answers/answer-cache.ts";
import { createTokenStore, type TokenStore } from "./auth/tokens.ts";
import type { CentralConfig } from "./config.ts";
import { createSessions } from "./dashboard/session.ts";
import { loadSessionKey } from "./dashboard/session-key.ts";
import { type Database, openDatabase } from "./database.ts";
import { connectDatabase, type Sql } from "./db/connect.ts";
import { migrate } from "./db/migrate.ts";
import { maintainReadingsPartitions } from "./db/partitions.ts";
import { createApp } from "./http/app.ts";
import type { Parts } from "./http/context.ts";
import type { CentralApp } from "./http/route.ts";
import { listen } from "./http/server.ts";
import { type CentralMetrics, createMetrics } from "./status/metrics.ts";
import { createReadiness, pendingMigrations } from "./status/readiness.ts";

export interface Central {
  url: string;
  port: number;
  app: CentralApp;
  /** The first admin token, when this start created it (a fresh install); shown once, stored hashed. */
  firstAdminToken: string | undefined;
  /** The token store on central's own pool: the `pnpm start` launcher issues its demo tokens with it. */
  tokens: TokenStore;
  /** This process's metrics (a cluster worker hands its registry to the primary's aggregation). */
  metrics: CentralMetrics;
  close(): Promise<void>;
}

export interface StartOptions {
  log?: Logger;
  /** The clock readings are validated against. */
  now?: () => number;
  /** Set when this process is one of the cluster's workers (cluster/worker.ts). */
  worker?: WorkerDuties;
}

/**
 * What changes for a cluster worker. The primary has started the database, applied the migrations,
 * made the first admin token and keeps the partitions, so a worker only serves; its pool is its share
 * of PLANTLINK_DB_POOL_MAX, and /metrics answers for all workers together.
 */
export interface WorkerDuties {
  poolMax: number;
  /** The Prometheus text of every worker, aggregated by the primary. */
  clusterMetrics(): Promise<string>;
}

/** Whether start-up applies migrations: when asked, and by default on the embedded database. */
export function shouldMigrate(config: CentralConfig, database: Database): boolean {
  if (config.migrate === "always") return true;
  if (config.migrate === "never") return false;
  return database.kind === "embedded";
}

export async function startCentral(config: CentralConfig, options: StartOptions = {}): Promise<Central> {
  const log = options.log ?? pino({ level: config.logLevel, base: { service: "central" } });
  const undo = new Teardown((error) => log.error({ msg: "shutdown step failed", err: error }));
  try {
    const { worker } = options;
    const database = await openDatabase(config, log, { share: false });
    undo.add(() => database.stop());
    const poolMax = worker?.poolMax ?? config.poolMax;
    const sql = connectDatabase(database.url, { max: poolMax });
    undo.add(() => sql.end({ timeout: 5 }));

    let firstAdminToken: string | undefined;
    if (!worker) {
      const started = await prepareDatabase(config, database, sql, log);
      undo.add(() => started.partitions.close());
      firstAdminToken = started.firstAdminToken;
    }
    const tokens = createTokenStore(sql);

    const metrics = createMetrics({ sql, poolMax, worker: worker ? process.pid : undefined });
    const answers = new AnswerCache(sql, {
      onLookup: (outcome) => metrics.recordAnswer(outcome),
      onPruneError: (error) => log.warn({ msg: "could not prune ingest marks; will retry", err: error }),
    });
    answers.start();
    undo.add(async () => answers.close());
    const parts: Parts = {
      sql,
      tokens,
      metrics,
      answers,
      ...(worker ? { metricsText: worker.clusterMetrics } : {}),
      log,
      limits: { bodyBytes: config.bodyLimitBytes, decompressedBytes: config.decompressedLimitBytes },
      backfillMaxBytes: config.backfillMaxBytes,
      validation: { now: options.now ?? Date.now, maxFutureSkewMs: config.maxFutureSkewMs },
      readiness: createReadiness(sql),
      statusThresholds: config.statusThresholds,
      sentinels: config.sentinels,
      admission: config.admission,
      trustProxy: config.trustProxy,
      // Signed with a key kept in the data directory, so sessions survive restarts (dashboard/session-key.ts).
      sessions: createSessions({ sql, key: await loadSessionKey(config.dataDir) }),
    };
    const app = createApp(parts);
    const server = await listen(app, {
      host: config.host,
      port: config.port,
      tls: config.tls,
      ...(worker ? { onRequest: () => parts.metrics.countWorkerRequest() } : {}),
      timeouts: config.timeouts,
    });
    undo.add(() => server.close());
    if (!worker) log.info({ msg: "central listening", url: server.url, database: database.kind });

    let closing: Promise<void> | undefined;
    return {
      url: server.url,
      port: server.port,
      app,
      firstAdminToken,
      tokens,
      metrics: parts.metrics,
      close: () => {
        // A worker's stop is the primary's to report, once for the service.
        closing ??= undo.run().then(() => {
          if (!worker) log.info({ msg: "central stopped" });
        });
        return closing;
      },
    };
  } catch (error) {
    await undo.run();
    throw error;
  }
}

/**
 * Start-up work done once per service, before anything serves: migrations when asked, the coming
 * months' partitions (kept up while running), and the first admin token of a fresh install. With
 * workers, the primary does this (cluster/primary.ts) and the workers only serve.
 */
export async function prepareDatabase(
  config: CentralConfig,
  database: Database,
  sql: Sql,
  log: Logger,
): Promise<{ firstAdminToken: string | undefined; partitions: { close(): Promise<void> } }> {
  if (shouldMigrate(config, database)) {
    await migrate(sql);
    log.info({ msg: "migrations applied" });
  }
  // Next months' partitions are made ahead of time; the default partition only catches stragglers.
  const partitions = maintainReadingsPartitions(sql, {
    onError: (error) =>
      log.error({ msg: "could not create the coming months' readings partitions", err: error }),
  });
  try {
    return { firstAdminToken: await createFirstAdminToken(sql, log), partitions };
  } catch (error) {
    await partitions.close();
    throw error;
  }
}

/**
 * A fresh install has no token at all, so nobody could create one over the API: make an admin token
 * and hand it back to be printed. Revoked tokens count as existing, so revoking every token never
 * mints a new admin on the next restart. Skipped, with an error logged, while migrations are pending.
 */
async function createFirstAdminToken(sql: Sql, log: Logger): Promise<string | undefined> {
  const pending = await pendingMigrations(sql);
  if (pending > 0) {
    log.error({
      msg: "the database is not migrated; run pnpm central migrate (or serve --migrate)",
      pending,
    });
    return undefined;
  }
  // Two centrals starting at once on a fresh database must not both mint one; the advisory lock
  // (released with the transaction) makes the check-then-insert atomic.
  return sql.begin(async (tx) => {
    await tx`select pg_advisory_xact_lock(7206002)`;
    const txTokens = createTokenStore(tx);
    if ((await txTokens.count()) > 0) return undefined;
    const { token, record } = await txTokens.create({ role: "admin", name: "first admin" });
    log.warn({
      msg: "created the first admin token; it is printed once, on standard output",
      tokenId: record.tokenId,
    });
    return token;
  });
}
