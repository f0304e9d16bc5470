/**
 * Central's configuration: every environment variable it reads, parsed once at start-up. This is the
 * only file of central that looks at process.env; everything else is handed the typed value, so tests
 * build centrals with whatever config they need.
 */
import { availableParallelism } from "node:os";
import {
  envBoolean,
  envBytes,
  envFutureSkewMs,
  envLogLevel,
  envPort,
  numberToCenti,
  parseEnv,
} from "@plantlink/shared";
import { z } from "zod";
import type { StatusThresholds } from "./equipment/status.ts";
import { statusEnvShape, statusThresholdsFromEnv, statusThresholdsProblem } from "./equipment/thresholds.ts";
import { type AdmissionLimits, DEFAULT_ADMISSION } from "./http/admission.ts";
import type { ConnectionTimeouts } from "./http/server.ts";

const optionalText = z
  .string()
  .optional()
  .transform((v) => (v === undefined || v.trim() === "" ? undefined : v.trim()));

const positiveInt = (fallback: number, what: string) =>
  z.coerce
    .number({ error: `expected ${what}` })
    .int({ error: `expected ${what}` })
    .positive({ error: `expected ${what}` })
    .default(fallback);

/**
 * Comma-separated values that mean "no measurement" for every sensor; unset: -9999, the error value
 * the plant's sensors send; empty: none. Each is a reading value, so it is held in hundredths too.
 */
const sentinelValues = z
  .string()
  .default("-9999")
  .transform((text, ctx) => {
    const centis: number[] = [];
    for (const item of text.split(",")) {
      const trimmed = item.trim();
      if (trimmed === "") continue;
      const centi = /^[-+]?(\d+\.?\d*|\.\d+)$/.test(trimmed) ? numberToCenti(Number(trimmed)) : undefined;
      if (!centi?.ok) {
        ctx.addIssue({
          code: "custom",
          message: `"${trimmed}" is not a number; expected comma-separated values such as -9999,-8888, or empty for none`,
        });
        return z.NEVER;
      }
      centis.push(centi.centi);
    }
    return centis;
  });

export const centralEnvSchema = z
  .object({
    DATABASE_URL: optionalText.refine((v) => v === undefined || /^postgres(ql)?:\/\//.test(v), {
      error: "expected a postgres:// or postgresql:// URL, or leave it unset for the embedded PostgreSQL",
    }),
    PLANTLINK_CENTRAL_HOST: z.string().default("0.0.0.0"),
    PLANTLINK_CENTRAL_PORT: envPort(8080),
    PLANTLINK_CENTRAL_DATA_DIR: z.string().min(1).default("./data/central"),
    /** The embedded PostgreSQL's port on 127.0.0.1; 0 picks a free one at each start. */
    PLANTLINK_EMBEDDED_PG_PORT: envPort(0),
    PLANTLINK_TLS_CERT: optionalText,
    PLANTLINK_TLS_KEY: optionalText,
    LOG_LEVEL: envLogLevel,
    /** Bytes on the wire per request body (compressed size when gzip-encoded). */
    PLANTLINK_CENTRAL_BODY_LIMIT: envBytes(16_000_000),
    /** Bytes after gunzip: a small gzip body can inflate a thousandfold, so this is checked separately. */
    PLANTLINK_CENTRAL_DECOMPRESSED_LIMIT: envBytes(64_000_000),
    /** The largest CSV file a backfill upload may be, after gzip decoding (413 beyond). */
    PLANTLINK_BACKFILL_MAX_BYTES: envBytes(10_000_000_000),
    PLANTLINK_MAX_FUTURE_SKEW_SECONDS: envFutureSkewMs,
    /**
     * `auto`: migrate when the database is the embedded one (a single-machine install has no DBA to run
     * `pnpm central migrate`), leave an external database alone.
     */
    PLANTLINK_CENTRAL_MIGRATE: z
      .enum(["auto", "true", "false"], { error: "expected auto, true or false" })
      .default("auto"),
    /** The whole service's connections: divided among the worker processes (cluster/pool-share.ts). */
    PLANTLINK_DB_POOL_MAX: positiveInt(10, "a positive number of connections"),
    PLANTLINK_SENTINEL_VALUES: sentinelValues,
    /** Worker processes serving the port; 1 serves from the one process, without node:cluster. Empty: the default. */
    PLANTLINK_CENTRAL_WORKERS: z.preprocess(
      (v) => (typeof v === "string" && v.trim() === "" ? undefined : v),
      positiveInt(availableParallelism(), "a positive number of worker processes"),
    ),
    /** Seconds a client has to send a request's headers (slowloris). */
    PLANTLINK_CENTRAL_HEADERS_TIMEOUT_SECONDS: positiveInt(15, "a positive number of seconds"),
    /** Seconds an idle keep-alive connection stays open between requests. */
    PLANTLINK_CENTRAL_KEEPALIVE_SECONDS: positiveInt(5, "a positive number of seconds"),
    /** Seconds central waits for a client that sends or takes nothing (a stalled body, no request). */
    PLANTLINK_CENTRAL_IDLE_TIMEOUT_SECONDS: positiveInt(30, "a positive number of seconds"),
    /** Admission control (http/admission.ts): requests in progress, and waiting, per route class. */
    PLANTLINK_CENTRAL_INGEST_CONCURRENCY: positiveInt(
      DEFAULT_ADMISSION.ingest.concurrency,
      "a positive number of requests",
    ),
    PLANTLINK_CENTRAL_INGEST_QUEUE: positiveInt(
      DEFAULT_ADMISSION.ingest.queue,
      "a positive number of requests",
    ),
    PLANTLINK_CENTRAL_BACKFILL_CONCURRENCY: positiveInt(
      DEFAULT_ADMISSION.backfill.concurrency,
      "a positive number of uploads",
    ),
    PLANTLINK_CENTRAL_BACKFILL_QUEUE: positiveInt(
      DEFAULT_ADMISSION.backfill.queue,
      "a positive number of uploads",
    ),
    PLANTLINK_CENTRAL_QUERY_CONCURRENCY: positiveInt(
      DEFAULT_ADMISSION.query.concurrency,
      "a positive number of requests",
    ),
    PLANTLINK_CENTRAL_QUERY_QUEUE: positiveInt(
      DEFAULT_ADMISSION.query.queue,
      "a positive number of requests",
    ),
    /** Milliseconds a request may wait for admission before it is refused with 503. */
    PLANTLINK_CENTRAL_ADMISSION_WAIT_MS: positiveInt(
      DEFAULT_ADMISSION.waitMs,
      "a positive number of milliseconds",
    ),
    /**
     * Central sits behind a reverse proxy that appends the client's address to X-Forwarded-For: the
     * failed-login limit counts per that address instead of per proxy. Never set it without such a
     * proxy in front, or clients choose the address they are counted under.
     */
    PLANTLINK_CENTRAL_TRUST_PROXY: envBoolean(false),
    ...statusEnvShape,
  })
  .superRefine((env, ctx) => {
    const statusProblem = statusThresholdsProblem(statusThresholdsFromEnv(env));
    if (statusProblem)
      ctx.addIssue({ code: "custom", path: ["PLANTLINK_STATUS_CRITICAL_SIGMA"], message: statusProblem });
    // A certificate without its key (or the reverse) is a half-done TLS set-up: refuse rather than
    // silently serving plain HTTP.
    if ((env.PLANTLINK_TLS_CERT === undefined) !== (env.PLANTLINK_TLS_KEY === undefined)) {
      const missing = env.PLANTLINK_TLS_CERT === undefined ? "PLANTLINK_TLS_CERT" : "PLANTLINK_TLS_KEY";
      ctx.addIssue({
        code: "custom",
        path: [missing],
        message: "PLANTLINK_TLS_CERT and PLANTLINK_TLS_KEY must be set together for HTTPS",
      });
    }
  });

export interface CentralConfig {
  /** Undefined: run the embedded PostgreSQL in `dataDir`. */
  databaseUrl: string | undefined;
  host: string;
  port: number;
  dataDir: string;
  embeddedPgPort: number;
  tls: { certFile: string; keyFile: string } | undefined;
  logLevel: z.output<typeof centralEnvSchema>["LOG_LEVEL"];
  bodyLimitBytes: number;
  decompressedLimitBytes: number;
  backfillMaxBytes: number;
  maxFutureSkewMs: number;
  migrate: "auto" | "always" | "never";
  /** Database connections of the whole service, all workers together. */
  poolMax: number;
  /** Worker processes serving the port (1: this process serves, no cluster). */
  workers: number;
  /** Admission control per route class (http/admission.ts). */
  admission: AdmissionLimits;
  /** Connection timeouts (http/server.ts). */
  timeouts: ConnectionTimeouts;
  /** Count failed logins per X-Forwarded-For's last address (docs/operations.md §9). */
  trustProxy: boolean;
  /** Each sensor's status thresholds (docs/status.md). */
  statusThresholds: StatusThresholds;
  /** Values, in hundredths, set aside as "no measurement" for every sensor (ingest/screen.ts). */
  sentinels: readonly number[];
}

/** Parses central's variables (the process's by default); throws a ConfigError naming each bad one. */
export function loadConfig(env: Record<string, string | undefined> = process.env): CentralConfig {
  const e = parseEnv(centralEnvSchema, env);
  return {
    databaseUrl: e.DATABASE_URL,
    host: e.PLANTLINK_CENTRAL_HOST,
    port: e.PLANTLINK_CENTRAL_PORT,
    dataDir: e.PLANTLINK_CENTRAL_DATA_DIR,
    embeddedPgPort: e.PLANTLINK_EMBEDDED_PG_PORT,
    tls:
      e.PLANTLINK_TLS_CERT && e.PLANTLINK_TLS_KEY
        ? { certFile: e.PLANTLINK_TLS_CERT, keyFile: e.PLANTLINK_TLS_KEY }
        : undefined,
    logLevel: e.LOG_LEVEL,
    bodyLimitBytes: e.PLANTLINK_CENTRAL_BODY_LIMIT,
    decompressedLimitBytes: e.PLANTLINK_CENTRAL_DECOMPRESSED_LIMIT,
    backfillMaxBytes: e.PLANTLINK_BACKFILL_MAX_BYTES,
    maxFutureSkewMs: e.PLANTLINK_MAX_FUTURE_SKEW_SECONDS,
    migrate:
      e.PLANTLINK_CENTRAL_MIGRATE === "auto"
        ? "auto"
        : e.PLANTLINK_CENTRAL_MIGRATE === "true"
          ? "always"
          : "never",
    poolMax: e.PLANTLINK_DB_POOL_MAX,
    workers: e.PLANTLINK_CENTRAL_WORKERS,
    admission: {
      ingest: {
        concurrency: e.PLANTLINK_CENTRAL_INGEST_CONCURRENCY,
        queue: e.PLANTLINK_CENTRAL_INGEST_QUEUE,
      },
      backfill: {
        concurrency: e.PLANTLINK_CENTRAL_BACKFILL_CONCURRENCY,
        queue: e.PLANTLINK_CENTRAL_BACKFILL_QUEUE,
      },
      query: { concurrency: e.PLANTLINK_CENTRAL_QUERY_CONCURRENCY, queue: e.PLANTLINK_CENTRAL_QUERY_QUEUE },
      waitMs: e.PLANTLINK_CENTRAL_ADMISSION_WAIT_MS,
    },
    timeouts: {
      headersMs: e.PLANTLINK_CENTRAL_HEADERS_TIMEOUT_SECONDS * 1000,
      keepAliveMs: e.PLANTLINK_CENTRAL_KEEPALIVE_SECONDS * 1000,
      idleMs: e.PLANTLINK_CENTRAL_IDLE_TIMEOUT_SECONDS * 1000,
    },
    trustProxy: e.PLANTLINK_CENTRAL_TRUST_PROXY,
    statusThresholds: statusThresholdsFromEnv(e),
    sentinels: e.PLANTLINK_SENTINEL_VALUES,
  };
}
