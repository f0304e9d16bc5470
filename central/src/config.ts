/**
 * Central's configuration: every environment variable it reads, parsed once at start-up. This is the
 * only file of central that looks at process.env; everything else is handed the typed value, so tests
 * build centrals with whatever config they need.
 */
import { envBoolean, envBytes, envFutureSkewMs, envLogLevel, envPort, parseEnv } from "@plantlink/shared";
import { z } from "zod";
import type { StatusThresholds } from "./equipment/status.ts";
import { statusEnvShape, statusThresholdsFromEnv, statusThresholdsProblem } from "./equipment/thresholds.ts";

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
    PLANTLINK_DB_POOL_MAX: positiveInt(10, "a positive number of connections"),
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
  poolMax: number;
  /** Count failed logins per X-Forwarded-For's last address (docs/operations.md §9). */
  trustProxy: boolean;
  /** Each sensor's status thresholds (docs/status.md). */
  statusThresholds: StatusThresholds;
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
    trustProxy: e.PLANTLINK_CENTRAL_TRUST_PROXY,
    statusThresholds: statusThresholdsFromEnv(e),
  };
}
