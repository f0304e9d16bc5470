/**
 * A whole central as `pnpm central serve` builds it (main.ts: session key in the data directory,
 * dashboard, every route), on a free port against this test file's own database, on the real clock.
 */
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll } from "vitest";
import type { Role } from "../../src/auth/roles.ts";
import { createTokenStore } from "../../src/auth/tokens.ts";
import { loadConfig } from "../../src/config.ts";
import { type Central, startCentral } from "../../src/main.ts";
import { createTestDatabase, type TestDatabase } from "../support/test-database.ts";

export interface DashboardCentral {
  central: Central;
  url: string;
  db: TestDatabase;
  dataDir: string;
  /** A live token of `role`; edge tokens are bound to `edgeId`. */
  tokenFor(role: Role, edgeId?: string): Promise<string>;
  close(): Promise<void>;
}

export async function startDashboardCentral(): Promise<DashboardCentral> {
  const db = await createTestDatabase();
  const dataDir = await mkdtemp(join(tmpdir(), "plantlink-dashboard-"));
  const central = await startCentral(
    loadConfig({
      DATABASE_URL: db.url,
      PLANTLINK_CENTRAL_HOST: "127.0.0.1",
      PLANTLINK_CENTRAL_PORT: "0",
      PLANTLINK_CENTRAL_DATA_DIR: dataDir,
      PLANTLINK_CENTRAL_MIGRATE: "false",
      LOG_LEVEL: "silent",
    }),
  );
  const tokens = createTokenStore(db.sql);
  let closing: Promise<void> | undefined;
  const close = () => {
    closing ??= central.close().then(() => rm(dataDir, { recursive: true, force: true }));
    return closing;
  };
  afterAll(close);
  return {
    central,
    url: central.url,
    db,
    dataDir,
    async tokenFor(role, edgeId) {
      const { token } = await tokens.create({
        role,
        name: `dashboard ${role}${edgeId ? ` ${edgeId}` : ""}`,
        edgeId: role === "edge" ? (edgeId ?? "edge-1") : undefined,
      });
      return token;
    },
    close,
  };
}
