/**
 * The forwarder's environment variables: their schema (merged into the edge's one in ../config.ts, so
 * every variable is still validated in one place at start-up) and the typed value built from them.
 */
import { isIP } from "node:net";
import { envBoolean, envBytes } from "@plantlink/shared";
import { z } from "zod";

const text = z
  .string()
  .optional()
  .transform((v) => (v === undefined || v.trim() === "" ? undefined : v.trim()));

const whole = (fallback: number, min: number, max: number, unit = "") =>
  z.preprocess(
    (v) => (typeof v === "string" && v.trim() === "" ? undefined : v),
    z.coerce
      .number({ error: `expected a whole number ${min}-${max}${unit}` })
      .int({ error: `expected a whole number ${min}-${max}${unit}` })
      .min(min, { error: `expected a whole number ${min}-${max}${unit}` })
      .max(max, { error: `expected a whole number ${min}-${max}${unit}` })
      .default(fallback),
  );

export const forwardEnvShape = {
  PLANTLINK_CENTRAL_URL: text.refine((v) => v === undefined || /^https?:\/\/[^/]/.test(v), {
    error: "expected an http:// or https:// URL of central, e.g. https://central.example:8080",
  }),
  PLANTLINK_CENTRAL_TOKEN: text,
  /** Plain http:// to a central that is not on this machine; off, so the token never crosses in clear by accident. */
  PLANTLINK_ALLOW_INSECURE_CENTRAL: envBoolean(false),
  PLANTLINK_CENTRAL_CA: text,
  PLANTLINK_CLIENT_CERT: text,
  PLANTLINK_CLIENT_KEY: text,
  /**
   * Readings per batch; also the block batches are aligned to (see batch.ts). Large batches on purpose:
   * central updates each sensor's rollup rows once per batch, so its cost per reading falls with batch
   * size, and a site's batches in flight at once wait for each other on those rows — 20,000 × 2 drained
   * fastest in the sync-drain sweep (docs/performance.md).
   */
  PLANTLINK_FORWARD_BATCH_READINGS: whole(20_000, 1, 100_000),
  /** Uncompressed JSON bytes of a batch's readings; keep well under central's decompressed limit. */
  PLANTLINK_FORWARD_BATCH_BYTES: envBytes(4_000_000),
  PLANTLINK_FORWARD_IN_FLIGHT: whole(2, 1, 64),
  PLANTLINK_FORWARD_CONNECT_TIMEOUT_MS: whole(10_000, 100, 600_000, " ms"),
  PLANTLINK_FORWARD_REQUEST_TIMEOUT_MS: whole(60_000, 100, 600_000, " ms"),
  PLANTLINK_FORWARD_BACKOFF_BASE_MS: whole(500, 1, 600_000, " ms"),
  PLANTLINK_FORWARD_BACKOFF_MAX_MS: whole(60_000, 1, 3_600_000, " ms"),
  PLANTLINK_FORWARD_GZIP_LEVEL: whole(6, 1, 9),
  PLANTLINK_FORWARD_LIVE_LAG_MS: whole(30_000, 0, 86_400_000, " ms"),
};

type ForwardEnv = z.output<z.ZodObject<typeof forwardEnvShape>>;

export interface ForwardConfig {
  url: string;
  token: string;
  /**
   * Set when `url` is plain http://, which sends the token and the readings unencrypted: `loopback`
   * when central is on this machine (a local TLS tunnel or proxy), `allowed` when
   * PLANTLINK_ALLOW_INSECURE_CENTRAL accepted a remote one. Start-up warns either way.
   */
  plainHttp: "loopback" | "allowed" | undefined;
  caFile: string | undefined;
  clientCert: { certFile: string; keyFile: string } | undefined;
  batchReadings: number;
  batchBytes: number;
  inFlight: number;
  connectTimeoutMs: number;
  requestTimeoutMs: number;
  backoffBaseMs: number;
  backoffMaxMs: number;
  gzipLevel: number;
  liveLagMs: number;
}

/** Cross-variable rules, for the edge schema's superRefine. */
export function checkForwardEnv(env: ForwardEnv, ctx: z.RefinementCtx): void {
  const issue = (path: string, message: string) => ctx.addIssue({ code: "custom", path: [path], message });
  if ((env.PLANTLINK_CENTRAL_URL === undefined) !== (env.PLANTLINK_CENTRAL_TOKEN === undefined)) {
    issue(
      env.PLANTLINK_CENTRAL_URL === undefined ? "PLANTLINK_CENTRAL_URL" : "PLANTLINK_CENTRAL_TOKEN",
      "set both PLANTLINK_CENTRAL_URL and PLANTLINK_CENTRAL_TOKEN to forward to central, or neither to only buffer",
    );
  }
  const url = env.PLANTLINK_CENTRAL_URL;
  if (url !== undefined && plainHttp(url, env.PLANTLINK_ALLOW_INSECURE_CENTRAL) === "refused") {
    issue(
      "PLANTLINK_CENTRAL_URL",
      "plain http:// would send the edge's token and readings across the network in clear; use an " +
        "https:// URL, or set PLANTLINK_ALLOW_INSECURE_CENTRAL=true if the link is protected otherwise " +
        "(a VPN, a TLS tunnel)",
    );
  }
  if ((env.PLANTLINK_CLIENT_CERT === undefined) !== (env.PLANTLINK_CLIENT_KEY === undefined)) {
    issue(
      env.PLANTLINK_CLIENT_CERT === undefined ? "PLANTLINK_CLIENT_CERT" : "PLANTLINK_CLIENT_KEY",
      "set both PLANTLINK_CLIENT_CERT and PLANTLINK_CLIENT_KEY for mTLS, or neither",
    );
  }
  if (env.PLANTLINK_FORWARD_BACKOFF_MAX_MS < env.PLANTLINK_FORWARD_BACKOFF_BASE_MS) {
    issue("PLANTLINK_FORWARD_BACKOFF_MAX_MS", "must be at least PLANTLINK_FORWARD_BACKOFF_BASE_MS");
  }
}

export function toForwardConfig(env: ForwardEnv): ForwardConfig | undefined {
  const url = env.PLANTLINK_CENTRAL_URL;
  const token = env.PLANTLINK_CENTRAL_TOKEN;
  if (url === undefined || token === undefined) return undefined;
  const cert = env.PLANTLINK_CLIENT_CERT;
  const key = env.PLANTLINK_CLIENT_KEY;
  const plain = plainHttp(url, env.PLANTLINK_ALLOW_INSECURE_CENTRAL);
  return {
    url,
    token,
    plainHttp: plain === "refused" ? undefined : plain,
    caFile: env.PLANTLINK_CENTRAL_CA,
    clientCert: cert !== undefined && key !== undefined ? { certFile: cert, keyFile: key } : undefined,
    batchReadings: env.PLANTLINK_FORWARD_BATCH_READINGS,
    batchBytes: env.PLANTLINK_FORWARD_BATCH_BYTES,
    inFlight: env.PLANTLINK_FORWARD_IN_FLIGHT,
    connectTimeoutMs: env.PLANTLINK_FORWARD_CONNECT_TIMEOUT_MS,
    requestTimeoutMs: env.PLANTLINK_FORWARD_REQUEST_TIMEOUT_MS,
    backoffBaseMs: env.PLANTLINK_FORWARD_BACKOFF_BASE_MS,
    backoffMaxMs: env.PLANTLINK_FORWARD_BACKOFF_MAX_MS,
    gzipLevel: env.PLANTLINK_FORWARD_GZIP_LEVEL,
    liveLagMs: env.PLANTLINK_FORWARD_LIVE_LAG_MS,
  };
}

/** How a central URL stands on encryption: undefined for https://. */
function plainHttp(url: string, allowInsecure: boolean): "loopback" | "allowed" | "refused" | undefined {
  if (!/^http:\/\//i.test(url)) return undefined;
  if (isLoopback(url)) return "loopback";
  return allowInsecure ? "allowed" : "refused";
}

/** localhost, 127.0.0.0/8 or ::1: traffic that never leaves this machine. */
function isLoopback(url: string): boolean {
  let host: string;
  try {
    host = new URL(url).hostname.replace(/^\[(.*)\]$/, "$1").toLowerCase();
  } catch {
    return false;
  }
  if (host === "localhost" || host.endsWith(".localhost")) return true;
  if (isIP(host) === 4) return host.startsWith("127.");
  return isIP(host) === 6 && host === "::1";
}
