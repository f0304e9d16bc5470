/**
 * The edge's configuration: every environment variable it reads, validated once at start-up.
 * `main.ts` and `cli.ts` hand `process.env` to `loadEdgeConfig`; nothing else reads the environment.
 */
import { hostname } from "node:os";
import { resolve } from "node:path";
import { envBoolean, envBytes, envFutureSkewMs, envLogLevel, envPort, parseEnv } from "@plantlink/shared";
import { z } from "zod";
import { checkForwardEnv, type ForwardConfig, forwardEnvShape, toForwardConfig } from "./forwarder/config.ts";

/** A port that may be unset (the listener is then off); "" counts as unset. */
const optionalPort = z
  .string()
  .optional()
  .transform((text, ctx) => {
    if (text === undefined || text.trim() === "") return undefined;
    const port = Number(text.trim());
    if (!Number.isInteger(port) || port < 0 || port > 65535) {
      ctx.addIssue({ code: "custom", message: "expected a port number 0-65535" });
      return z.NEVER;
    }
    return port;
  });

const optionalPath = z
  .string()
  .optional()
  .transform((text) => (text === undefined || text.trim() === "" ? undefined : text.trim()));

const positiveNumber = (fallback: number, what: string) =>
  z.coerce
    .number({ error: `expected ${what}` })
    .refine((n) => Number.isFinite(n) && n >= 0, { error: `expected ${what}` })
    .default(fallback);

const positiveInt = (fallback: number, min: number, max: number) =>
  z.coerce
    .number({ error: `expected a whole number ${min}-${max}` })
    .int({ error: `expected a whole number ${min}-${max}` })
    .min(min, { error: `expected a whole number ${min}-${max}` })
    .max(max, { error: `expected a whole number ${min}-${max}` })
    .default(fallback);

const GB = 1_000_000_000;

const schema = z
  .object({
    PLANTLINK_EDGE_ID: z
      .string()
      .regex(/^[A-Za-z0-9][A-Za-z0-9._:-]{0,127}$/, {
        error: "expected 1-128 of A-Z a-z 0-9 . _ : -, starting with a letter or digit",
      })
      .optional(),
    PLANTLINK_EDGE_DATA_DIR: z.string().min(1).default("./data/edge"),
    PLANTLINK_EDGE_LISTEN_HOST: optionalPath,
    PLANTLINK_MQTT_PORT: envPort(1883),
    PLANTLINK_MQTT_TLS_PORT: optionalPort,
    PLANTLINK_MQTT_WS_PORT: optionalPort,
    PLANTLINK_EDGE_HTTP_PORT: envPort(8081),
    PLANTLINK_EDGE_TLS_CERT: optionalPath,
    PLANTLINK_EDGE_TLS_KEY: optionalPath,
    PLANTLINK_BUFFER_MAX_BYTES: envBytes(4 * GB),
    PLANTLINK_DISK_RESERVE_BYTES: envBytes(1 * GB),
    PLANTLINK_BUFFER_SYNCHRONOUS: z
      .enum(["FULL", "NORMAL", "EXTRA"], { error: "expected FULL, NORMAL or EXTRA" })
      .default("FULL"),
    PLANTLINK_BUFFER_RETENTION_HOURS: positiveNumber(24, "a number of hours ≥ 0"),
    PLANTLINK_COMMIT_MAX_READINGS: positiveInt(5000, 1, 100_000),
    PLANTLINK_COMMIT_MAX_DELAY_MS: positiveInt(2, 0, 1000),
    PLANTLINK_MQTT_MAX_PAYLOAD_BYTES: envBytes(256 * 1024),
    PLANTLINK_HTTP_MAX_BODY_BYTES: envBytes(4 * 1024 * 1024),
    PLANTLINK_MAX_FUTURE_SKEW_SECONDS: envFutureSkewMs,
    PLANTLINK_ALLOW_ANONYMOUS: envBoolean(false),
    PLANTLINK_MQTT_ALLOW_SUBSCRIBE: envBoolean(false),
    LOG_LEVEL: envLogLevel,
    ...forwardEnvShape,
  })
  .superRefine((env, ctx) => {
    checkForwardEnv(env, ctx);
    const hasCert = env.PLANTLINK_EDGE_TLS_CERT !== undefined;
    const hasKey = env.PLANTLINK_EDGE_TLS_KEY !== undefined;
    if (hasCert !== hasKey) {
      ctx.addIssue({
        code: "custom",
        path: [hasCert ? "PLANTLINK_EDGE_TLS_KEY" : "PLANTLINK_EDGE_TLS_CERT"],
        message: "set both PLANTLINK_EDGE_TLS_CERT and PLANTLINK_EDGE_TLS_KEY, or neither",
      });
    }
    if (env.PLANTLINK_MQTT_TLS_PORT !== undefined && !hasCert) {
      ctx.addIssue({
        code: "custom",
        path: ["PLANTLINK_MQTT_TLS_PORT"],
        message: "MQTT over TLS needs PLANTLINK_EDGE_TLS_CERT and PLANTLINK_EDGE_TLS_KEY",
      });
    }
    if (env.PLANTLINK_MQTT_MAX_PAYLOAD_BYTES < 64) {
      ctx.addIssue({
        code: "custom",
        path: ["PLANTLINK_MQTT_MAX_PAYLOAD_BYTES"],
        message: "expected at least 64 bytes (one reading is about 80)",
      });
    }
  });

export type Synchronous = "FULL" | "NORMAL" | "EXTRA";

export interface EdgeConfig {
  edgeId: string;
  dataDir: string;
  listenHost: string | undefined;
  mqtt: {
    port: number;
    tlsPort: number | undefined;
    wsPort: number | undefined;
    maxPayloadBytes: number;
    allowAnonymous: boolean;
    allowSubscribe: boolean;
  };
  http: { port: number; maxBodyBytes: number };
  tls: { certPath: string; keyPath: string } | undefined;
  buffer: {
    maxBytes: number;
    diskReserveBytes: number;
    synchronous: Synchronous;
    retentionMs: number;
  };
  commit: { maxReadings: number; maxDelayMs: number };
  maxFutureSkewMs: number;
  /** Where and how readings are forwarded; undefined: buffer only (no PLANTLINK_CENTRAL_URL). */
  forward: ForwardConfig | undefined;
  logLevel: z.infer<typeof envLogLevel>;
}

/** Parses the environment; throws a ConfigError naming every bad variable. */
export function loadEdgeConfig(
  env: Record<string, string | undefined>,
  defaults: { hostname?: string } = {},
): EdgeConfig {
  const parsed = parseEnv(schema, env);
  const cert = parsed.PLANTLINK_EDGE_TLS_CERT;
  const key = parsed.PLANTLINK_EDGE_TLS_KEY;
  return {
    edgeId: parsed.PLANTLINK_EDGE_ID ?? sanitiseHostname(defaults.hostname ?? hostname()),
    dataDir: resolve(parsed.PLANTLINK_EDGE_DATA_DIR),
    listenHost: parsed.PLANTLINK_EDGE_LISTEN_HOST,
    mqtt: {
      port: parsed.PLANTLINK_MQTT_PORT,
      tlsPort: parsed.PLANTLINK_MQTT_TLS_PORT,
      wsPort: parsed.PLANTLINK_MQTT_WS_PORT,
      maxPayloadBytes: parsed.PLANTLINK_MQTT_MAX_PAYLOAD_BYTES,
      allowAnonymous: parsed.PLANTLINK_ALLOW_ANONYMOUS,
      allowSubscribe: parsed.PLANTLINK_MQTT_ALLOW_SUBSCRIBE,
    },
    http: { port: parsed.PLANTLINK_EDGE_HTTP_PORT, maxBodyBytes: parsed.PLANTLINK_HTTP_MAX_BODY_BYTES },
    tls: cert !== undefined && key !== undefined ? { certPath: cert, keyPath: key } : undefined,
    buffer: {
      maxBytes: parsed.PLANTLINK_BUFFER_MAX_BYTES,
      diskReserveBytes: parsed.PLANTLINK_DISK_RESERVE_BYTES,
      synchronous: parsed.PLANTLINK_BUFFER_SYNCHRONOUS,
      retentionMs: Math.round(parsed.PLANTLINK_BUFFER_RETENTION_HOURS * 3_600_000),
    },
    commit: {
      maxReadings: parsed.PLANTLINK_COMMIT_MAX_READINGS,
      maxDelayMs: parsed.PLANTLINK_COMMIT_MAX_DELAY_MS,
    },
    maxFutureSkewMs: parsed.PLANTLINK_MAX_FUTURE_SKEW_SECONDS,
    forward: toForwardConfig(parsed),
    logLevel: parsed.LOG_LEVEL,
  };
}

/** Host names may hold characters an edge id may not (e.g. a space on some PCs); map them to "-". */
function sanitiseHostname(name: string): string {
  const cleaned = name.replace(/[^A-Za-z0-9._:-]/g, "-").replace(/^[^A-Za-z0-9]+/, "");
  return cleaned.slice(0, 128) || "edge";
}
