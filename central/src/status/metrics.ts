/**
 * Central's Prometheus metrics, in a registry of its own (never prom-client's global one), so two
 * centrals in one process — as in tests — count separately.
 */

import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from "prom-client";
import type { Sql } from "../db/connect.ts";

/** Where readings come from; a bounded label set (edge ids go to logs and /v1/edges, not labels). */
export type IngestSource = "edge" | "direct" | "backfill";

export interface IngestCounts {
  inserted: number;
  duplicates: number;
  conflicts: number;
  /** Not measurements (a sentinel, or out of the sensor's valid range): kept apart from the averages. */
  setAside?: number | undefined;
  rejected: number;
}

export interface CentralMetrics {
  registry: Registry;
  /** Counts one ingest call's outcome and how long it took. */
  recordIngest(source: IngestSource, counts: IngestCounts, seconds: number): void;
  /** Counts one request served by this worker process (a no-op outside a cluster). */
  countWorkerRequest(): void;
  /** Counts one read answer: served from the answer cache, computed, or recomputed because it changed. */
  recordAnswer(outcome: "hit" | "miss" | "stale"): void;
  /** Counts one group-commit transaction of direct readings and how many requests it answered. */
  recordGroup(group: { requests: number; readings: number; seconds: number }): void;
}

/** Names this process's connections in pg_stat_activity, which is where pool use is read from. */
export const APPLICATION_NAME = "plantlink-central";

export interface MetricsOptions {
  sql?: Sql;
  /** This process's pool size; summed over the workers in the cluster's /metrics. */
  poolMax?: number;
  /** This worker's pid, when central runs as a cluster (cluster/primary.ts). */
  worker?: number | undefined;
}

export function createMetrics(options: MetricsOptions = {}): CentralMetrics {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: "plantlink_central_" });

  const readings = new Counter({
    name: "plantlink_central_readings_total",
    help: "Readings handled, by source and outcome (inserted, duplicate, conflict, set_aside, rejected)",
    labelNames: ["source", "outcome"] as const,
    registers: [registry],
  });
  const latency = new Histogram({
    name: "plantlink_central_ingest_seconds",
    help: "Time to validate and store one request's readings, by source",
    labelNames: ["source"] as const,
    buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    registers: [registry],
  });
  const answers = new Counter({
    name: "plantlink_central_answers_total",
    help: "Read answers (averages, equipment, series) by outcome: hit (cached and still exact), miss (none cached), stale (changed, recomputed)",
    labelNames: ["outcome"] as const,
    registers: [registry],
  });
  for (const outcome of ["hit", "miss", "stale"]) answers.inc({ outcome }, 0);
  const groups = new Histogram({
    name: "plantlink_central_ingest_group_requests",
    help: "Requests of POST /v1/readings committed together in one transaction (group commit)",
    buckets: [1, 2, 5, 10, 20, 50, 100, 200, 500, 1000],
    registers: [registry],
  });
  // Every label combination exists from the start, so a rate() over it never sees a missing series.
  for (const source of ["edge", "direct", "backfill"] as const) {
    for (const outcome of ["inserted", "duplicate", "conflict", "set_aside", "rejected"])
      readings.inc({ source, outcome }, 0);
  }

  const { sql, poolMax } = options;
  if (sql) {
    new Gauge({
      name: "plantlink_central_db_pool_max",
      help: "Connections the pool may open",
      registers: [registry],
    }).set(poolMax ?? 0);
    new Gauge({
      name: "plantlink_central_db_connections",
      help: `Open database connections named ${APPLICATION_NAME}, by state (from pg_stat_activity, so every central instance on the database counts)`,
      labelNames: ["state"] as const,
      registers: [registry],
      // Every worker reads the same database-wide figure: summing them would count each N times.
      aggregator: "first",
      async collect() {
        this.reset();
        try {
          const rows = await sql<{ state: string | null; n: number }[]>`
            select state, count(*)::int as n from pg_stat_activity
            where application_name = ${APPLICATION_NAME} group by state`;
          for (const row of rows) this.set({ state: row.state ?? "unknown" }, row.n);
        } catch {
          // The database is down: /readyz says so; a scrape must still answer with everything else.
        }
      },
    });
  }

  // Which worker answered: the cluster's /metrics keeps one series per worker pid, so an operator sees
  // the load spread over the workers, and a restarted worker as a new pid.
  const workerRequests =
    options.worker === undefined
      ? undefined
      : new Counter({
          name: "plantlink_central_worker_requests_total",
          help: "HTTP requests served, by worker process id",
          labelNames: ["pid"] as const,
          registers: [registry],
        }).labels({ pid: String(options.worker) });
  workerRequests?.inc(0);

  return {
    registry,
    countWorkerRequest() {
      workerRequests?.inc();
    },
    recordIngest(source, counts, seconds) {
      readings.inc({ source, outcome: "inserted" }, counts.inserted);
      readings.inc({ source, outcome: "duplicate" }, counts.duplicates);
      readings.inc({ source, outcome: "conflict" }, counts.conflicts);
      readings.inc({ source, outcome: "set_aside" }, counts.setAside ?? 0);
      readings.inc({ source, outcome: "rejected" }, counts.rejected);
      latency.observe({ source }, seconds);
    },
    recordAnswer(outcome) {
      answers.inc({ outcome });
    },
    recordGroup(group) {
      groups.observe(group.requests);
    },
  };
}
