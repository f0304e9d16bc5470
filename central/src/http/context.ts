/**
 * What every handler can reach: the per-request variables set by middleware, and the parts of central
 * that `main.ts` builds and hands to the app. Routes get their dependencies from here, never by import,
 * so two apps in one process (tests) share nothing.
 */
import type { LoginThrottle, ValidationOptions } from "@plantlink/shared";
import type { Context } from "hono";
import type { Logger } from "pino";
import type { Sql } from "postgres";
import type { AnswerCache } from "../answers/answer-cache.ts";
import type { Principal, TokenStore } from "../auth/tokens.ts";
import type { Sessions } from "../dashboard/session.ts";
import type { StatusThresholds } from "../equipment/status.ts";
import { DEFAULT_SENTINELS_CENTI } from "../ingest/screen.ts";
import type { CentralMetrics } from "../status/metrics.ts";
import type { AdmissionLimits } from "./admission.ts";
import { UnauthorizedError } from "./problem.ts";

export interface AppEnv {
  Variables: {
    requestId: string;
    log: Logger;
    /** Set by the auth middleware; absent on public routes. */
    principal: Principal | undefined;
    /**
     * Set by a handler that answered a failure of the request body itself (cut off, too large) with
     * more than the failure says, e.g. the backfill's report of what it stored: the body middleware
     * then leaves that answer alone.
     */
    bodyFailureAnswered: boolean | undefined;
  };
}

export interface BodyLimits {
  /** Bytes on the wire (compressed size when gzip-encoded). */
  bodyBytes: number;
  /** Bytes after decompression. */
  decompressedBytes: number;
}

export interface Readiness {
  ok: boolean;
  checks: Record<string, { ok: boolean; detail: string }>;
}

/** The parts of central a route may use. */
export interface Parts {
  sql: Sql;
  tokens: TokenStore;
  metrics: CentralMetrics;
  /** The /metrics text, when it is more than this process's registry (a cluster worker); absent: the registry's. */
  metricsText?: (() => Promise<string>) | undefined;
  log: Logger;
  limits: BodyLimits;
  /** The clock and skew every reading is validated against. */
  validation: ValidationOptions;
  /** Database reachable and migrations applied. */
  readiness(): Promise<Readiness>;
  /** The largest CSV file a backfill takes, after gzip decoding; absent: backfill/routes.ts default. */
  backfillMaxBytes?: number | undefined;
  /**
   * Dashboard sign-in sessions (dashboard/session.ts): the dashboard is served, and its pages may call
   * the API with their session cookie. Absent, there is no dashboard and only bearer tokens count.
   */
  sessions?: Sessions | undefined;
  /**
   * Read answers (averages, equipment list, series) shared by every caller while the database proves
   * them exact (answers/answer-cache.ts); absent, each request computes its own.
   */
  answers?: AnswerCache | undefined;
  /** Admission control per route class (http/admission.ts); absent, its defaults. */
  admission?: AdmissionLimits | undefined;
  /** Failed logins per client address (bearer tokens and dashboard sign-in); absent, the defaults. */
  loginThrottle?: LoginThrottle | undefined;
  /** PLANTLINK_CENTRAL_TRUST_PROXY: the throttle keys on X-Forwarded-For's last address. */
  trustProxy?: boolean | undefined;
  /** The thresholds of each sensor's status (docs/status.md); absent, the documented defaults. */
  statusThresholds?: StatusThresholds | undefined;
  /**
   * Values (hundredths) that mean "no measurement" for every sensor (PLANTLINK_SENTINEL_VALUES);
   * readings with them are set aside (ingest/screen.ts). Absent: the default, -9999.
   */
  sentinels?: readonly number[] | undefined;
}

/** The global sentinels in force: the configured ones, or the default. */
export function sentinelsOf(parts: Parts): readonly number[] {
  return parts.sentinels ?? DEFAULT_SENTINELS_CENTI;
}

/** The caller of an authenticated route. Throws rather than returning undefined: a route that reads it
 * without the auth middleware in front is a bug that must not turn into anonymous access. */
export function principalOf(c: Context<AppEnv>): Principal {
  const principal = c.get("principal");
  if (!principal) throw new UnauthorizedError("this route needs a bearer token");
  return principal;
}
