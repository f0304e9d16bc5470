/**
 * Shared by the two harness test files to prove that test files do not see each other's rows, whatever
 * order vitest runs them in. Each file commits a row, then announces it in the run's directory, then
 * reads the other's announcement, then looks at its rows. Whichever file announces second finds the
 * other's announcement, so the other's row was committed before it looks: had they shared a database,
 * it would see that row. (The test of the file that announces first proves nothing alone; the pair does.)
 */
import { mkdir, readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { expect, inject } from "vitest";
import type { TestDatabase } from "../support/test-database.ts";

export async function proveIsolation(db: TestDatabase, mine: string, theirs: string): Promise<void> {
  const dir = join(inject("testDatabase").runDir, "isolation");
  await mkdir(dir, { recursive: true });
  await db.sql`insert into edges (edge_id, last_sync_at) values (${mine}, now())`;
  await writeFile(join(dir, mine), db.name);

  const theirDatabase = await readFile(join(dir, theirs), "utf8").catch(() => undefined);

  const rows = await db.sql<{ edgeId: string }[]>`select edge_id as "edgeId" from edges`;
  expect(rows.map((row) => row.edgeId)).toEqual([mine]);
  if (theirDatabase !== undefined) expect(theirDatabase).not.toBe(db.name);
}
