/**
 * A central app on a real HTTP port against this test file's own database: the parts main.ts would
 * build, with small body limits and a fixed clock so tests can reach the limits and the skew check.
 */
import { LoginThrottle } from "@plantlink/shared";
import { type Logger, pino } from "pino";
import { afterAll } from "vitest";
import { AnswerCache, type AnswerCacheOptions } from "../../src/answers/answer-cache.ts";
import type { Role } from "../../src/auth/roles.ts";
import { createTokenStore } from "../../src/auth/tokens.ts";
import type { Sql } from "../../src/db/connect.ts";
import type { AdmissionLimits } from "../../src/http/admission.ts";
import { createApp } from "../../src/http/app.ts";
import type { BodyLimits, Parts } from "../../src/http/context.ts";
import type { ApiRoute, CentralApp } from "../../src/http/route.ts";
import { apiRoutes } from "../../src/http/routes.ts";
import { type ConnectionTimeouts, listen } from "../../src/http/server.ts";
import { createMetrics } from "../../src/status/metrics.ts";
import { createReadiness } from "../../src/status/readiness.ts";
import { createTestDatabase, type TestDatabase } from "../support/test-database.ts";

/** The instant every test central believes it is; readings after now + 5 min are refused. */
export const TEST_NOW = Date.parse("2024-06-01T12:00:00Z");

export interface TestCentral {
  url: string;
  app: CentralApp;
  parts: Parts;
  db: TestDatabase;
  /** A live token of `role` (edge tokens are bound to `edgeId`, default "edge-1"). */
  tokenFor(role: Role, edgeId?: string): Promise<string>;
  close(): Promise<void>;
}

export async function startTestCentral(
  options: {
    limits?: Partial<BodyLimits>;
    routes?: readonly ApiRoute[];
    timeouts?: Partial<ConnectionTimeouts>;
    admission?: AdmissionLimits;
    loginThrottle?: LoginThrottle;
    trustProxy?: boolean;
    answerCache?: AnswerCacheOptions;
    log?: Logger;
  } = {},
): Promise<TestCentral> {
  const db = await createTestDatabase();
  const tokens = createTokenStore(db.sql);
  const parts: Parts = {
    sql: db.sql,
    tokens,
    metrics: createMetrics({ sql: db.sql, poolMax: 10 }),
    log: options.log ?? pino({ level: "silent" }),
    limits: { bodyBytes: 1_000_000, decompressedBytes: 4_000_000, ...options.limits },
    validation: { now: () => TEST_NOW, maxFutureSkewMs: 5 * 60_000 },
    readiness: createReadiness(db.sql),
    // As main.ts builds it: every read route's test also proves its cached answers.
    answers: new AnswerCache(db.sql, options.answerCache),
    admission: options.admission,
    // These tests send bad tokens on purpose, many from one address; test/auth/login.throttle.test.ts
    // proves the default limit on a central built as main.ts builds it.
    loginThrottle: options.loginThrottle ?? new LoginThrottle({ maxFailures: Number.MAX_SAFE_INTEGER }),
    trustProxy: options.trustProxy,
  };
  const app = createApp(parts, options.routes ?? apiRoutes);
  const server = await listen(app, {
    host: "127.0.0.1",
    port: 0,
    tls: undefined,
    timeouts: options.timeouts,
  });
  afterAll(() => server.close());
  return {
    url: server.url,
    app,
    parts,
    db,
    async tokenFor(role, edgeId = "edge-1") {
      const { token } = await tokens.create({
        role,
        name: `test ${role}`,
        edgeId: role === "edge" ? edgeId : undefined,
      });
      return token;
    },
    close: () => server.close(),
  };
}

/** A valid reading at `minutesAgo` before TEST_NOW. */
export function reading(equipmentId: string, value: number, minutesAgo = 10) {
  return { equipmentId, value, timestamp: new Date(TEST_NOW - minutesAgo * 60_000).toISOString() };
}

export function bearer(token: string): Record<string, string> {
  return { Authorization: `Bearer ${token}` };
}

/**
 * Holds the readings table locked in a transaction of its own, so ingest requests admitted meanwhile
 * stay in progress until `release()`; `ended` settles when that transaction is over.
 */
export async function holdReadingsTable(sql: Sql): Promise<{ release(): void; ended: Promise<void> }> {
  let release!: () => void;
  const released = new Promise<void>((resolve) => {
    release = resolve;
  });
  let locked!: () => void;
  const isLocked = new Promise<void>((resolve) => {
    locked = resolve;
  });
  const ended = sql.begin(async (tx) => {
    await tx`lock table readings in share row exclusive mode`;
    locked();
    await released;
  });
  await isLocked;
  return { release, ended };
}
