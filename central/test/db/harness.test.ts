import { readFile } from "node:fs/promises";
import { describe, expect, inject, it } from "vitest";
import { createTestDatabase } from "../support/test-database.ts";
import { proveIsolation } from "./isolation-probe.ts";

const db = await createTestDatabase();

describe("test harness", () => {
  it("talks to a real PostgreSQL server", async () => {
    const [row] = await db.sql<{ version: string }[]>`select version()`;
    expect(row?.version).toMatch(/^PostgreSQL 1[67]\./);
  });

  it("gives each test file a database already migrated, with readings partitioned", async () => {
    const [row] = await db.sql<{ kind: string }[]>`
      select relkind as kind from pg_class where relname = 'readings'`;
    expect(row?.kind).toBe("p");
    const [{ applied } = { applied: 0 }] = await db.sql<{ applied: number }[]>`
      select count(*)::int as applied from drizzle.__drizzle_migrations`;
    expect(applied).toBeGreaterThan(0);
  });

  it("hands out databases that do not share rows", async () => {
    const other = await createTestDatabase();
    await db.sql`insert into edges (edge_id, last_sync_at) values ('only-in-first', now())`;
    const rows = await other.sql`select 1 from edges where edge_id = 'only-in-first'`;
    expect(rows).toHaveLength(0);
    expect(other.name).not.toBe(db.name);
    await db.sql`delete from edges`;
    await other.drop();
  });

  it("does not let this file see the rows of another test file", async () => {
    await proveIsolation(db, "harness-a", "harness-b");
  });

  const server = inject("testDatabase").server;
  it.runIf(server !== null && process.getuid?.() === 0)(
    "runs the server as a user other than root",
    async () => {
      const status = await readFile(`/proc/${server?.pid}/status`, "utf8");
      const uid = /^Uid:\s+(\d+)/m.exec(status)?.[1];
      expect(uid).toBeDefined();
      expect(uid).not.toBe("0");
    },
  );
});
