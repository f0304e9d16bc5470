/**
 * Guarantee 5 (DESIGN.md §5): with central unreachable the edge keeps accepting; when central returns
 * the backlog drains by itself, oldest first, the status shows it progress, and live readings are not
 * held behind it. The 1,000,000-reading version is `pnpm bench offline`.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { createTestDatabase } from "../../central/test/support/test-database.ts";
import { countMissing } from "./support/ledger.ts";
import { runOffline } from "./support/offline.ts";

const db = await createTestDatabase();
const workDir = mkdtempSync(join(tmpdir(), "plantlink-offline-"));
let passed = false;
afterAll(() => {
  if (passed) rmSync(workDir, { recursive: true, force: true });
  else console.log(`[offline] logs kept in ${workDir}`);
});

describe("offline first", () => {
  it("drains a backlog built while central was down, oldest first, with no action and live data kept current", async () => {
    const report = await runOffline({
      sql: db.sql,
      databaseUrl: db.url,
      workDir,
      backlog: 60_000,
      sensors: 500,
      liveRate: 200,
      outageMs: 3000,
      batchReadings: 1000,
      log: (line) => console.log(`[offline] ${line}`),
    });
    // While central was down the edge kept acknowledging and said why nothing left.
    expect(report.outageStatus.buffered).toBeGreaterThan(60_000);
    expect(report.outageStatus.lastErrorCode).toBe("connection_refused");

    // The drain progressed visibly, oldest first: the oldest unsynced reading only ever gets younger.
    const buffered = report.samples.map((s) => s.buffered);
    expect(new Set(buffered).size).toBeGreaterThanOrEqual(3);
    const oldest = report.samples
      .map((s) => s.oldestUnsyncedAt)
      .filter((t): t is string => t !== null)
      .map(Date.parse);
    expect(oldest).toEqual([...oldest].sort((a, b) => a - b));
    expect(report.samples.some((s) => s.drainRate > 0)).toBe(true);

    // Live readings went in their own lane: halfway through the backlog, central already had them.
    expect(report.samples.some((s) => s.liveLane)).toBe(true);
    expect(report.liveDuringDrain.atCentralMidDrain).toBeGreaterThan(0);

    // Everything arrived, once.
    expect(countMissing(report.backlogKeys, report.central.readings)).toBe(0);
    expect(countMissing(report.published.acked, report.central.readings)).toBe(0);
    expect(report.central.rows).toBe(report.central.readings.size);
    passed = true;
    console.log(`[offline] drained ${report.backlogKeys.size} + live in ${report.drainMs} ms`);
  }, 300_000);
});
