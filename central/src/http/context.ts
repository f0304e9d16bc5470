/**
 * What every handler can reach: the per-request variables set by middleware, and the parts of central
 * that `main.ts` builds and hands to the app. Routes get their dependencies from here, never by import,
 * so two apps in one process (tests) share nothing.
 */
import type { LoginThrottle, ValidationOptions } from "@plantlink/shared";
import type { Context } from "hono";
import type { Logger } from "pino";
import type { Sql } from "postgres";
import type { Principal, TokenStore } from "../auth/tokens.ts";
import type { Sessions } from "../dashboard/session.ts";
import type { StatusThresholds } from "../equipment/status.ts";
import type { CentralMetrics } from "../status/metrics.ts";
import { UnauthorizedError } from "./problem.ts";

export interface AppEnv {
  Variables: {
    requestId: string;
    log: Logger;
    /** Set by the auth middleware; absent on public routes. */
    principal: Principal | undefined;
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
  /** Failed logins per client address (bearer tokens and dashboard sign-in); absent, the defaults. */
  loginThrottle?: LoginThrottle | undefined;
  /** PLANTLINK_CENTRAL_TRUST_PROXY: the throttle keys on X-Forwarded-For's last address. */
  trustProxy?: boolean | undefined;
  /** The thresholds of each sensor's status (docs/status.md); absent, the documented defaults. */
  statusThresholds?: StatusThresholds | undefined;
}

/** The caller of an authenticated route. Throws rather than returning undefined: a route that reads it
 * without the auth middleware in front is a bug that must not turn into anonymous access. */
export function principalOf(c: Context<AppEnv>): Principal {
  const principal = c.get("principal");
  if (!principal) throw new UnauthorizedError("this route needs a bearer token");
  return principal;
}
