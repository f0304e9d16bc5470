/**
 * Guarantee 2 (DESIGN.md §5), end to end: every reading the edge acknowledged reaches central exactly
 * once, through SIGKILLs of the edge and of central and a link that is cut, stalled, reset and loses
 * answers. The long version is `pnpm bench chaos --minutes N`.
 *
 * It fails when the promise breaks — both were tried: with the forwarder marking a batch synced before
 * central's 2xx, acknowledged readings were missing after the run; with central's identity dedupe
 * removed (readings_pkey dropped), 558 readings were stored twice (37,638 rows for 37,080 identities).
 * About 45 s on an idle 2-core machine; the timeout leaves room for a loaded one.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { createTestDatabase } from "../../central/test/support/test-database.ts";
import { runChaos } from "./support/chaos.ts";
import { countMissing, missingOrDifferent } from "./support/ledger.ts";

const db = await createTestDatabase();
const workDir = mkdtempSync(join(tmpdir(), "plantlink-chaos-"));
// Kept when a test fails: the children's logs are the first thing to read.
let passed = false;
afterAll(() => {
  if (passed) rmSync(workDir, { recursive: true, force: true });
  else console.log(`[chaos] logs kept in ${workDir}`);
});

describe("chaos", () => {
  it("delivers every acknowledged reading to central exactly once through kills, cuts, stalls and lost answers", async () => {
    const report = await runChaos({
      sql: db.sql,
      databaseUrl: db.url,
      workDir,
      loadMs: 24_000,
      events: [
        "kill-edge",
        "cut",
        "kill-central",
        "drop-responses",
        "kill-edge",
        "stall",
        "reset",
        "kill-central",
        "kill-edge",
      ],
      rate: 1500,
      log: (line) => console.log(`[chaos] ${line}`),
    });
    const { published, central, edge } = report;

    // The run did what it claims: load, three edge kills, two central kills, every link fault.
    expect(published.acked.size).toBeGreaterThan(5000);
    expect(report.edgeStarts).toBe(4);
    expect(report.centralStarts).toBe(3);
    expect(report.proxy).toMatchObject({ cut: 1, stall: 1, reset: 1 });

    // Every acknowledged reading is at central, with its value.
    expect({
      missing: countMissing(published.acked, central.readings),
      examples: missingOrDifferent(published.acked, central.readings, 5),
    }).toEqual({ missing: 0, examples: [] });
    // Exactly once: no identity stored twice, and the rollups and counters counted each once.
    expect({ rows: central.rows, identities: central.readings.size }).toEqual({
      rows: central.readings.size,
      identities: central.readings.size,
    });
    expect(central.rollupCount).toBe(central.rows);
    expect(central.edges.get("site-chaos")).toMatchObject({
      readingsTotal: central.rows,
      answeredInserted: central.rows,
    });
    // Nothing else: central holds exactly what the edge committed (acknowledged, or committed just
    // before a kill took the PUBACK with it), and only readings a device really published.
    expect(edge.unsynced).toBe(0);
    expect(countMissing(edge.readings, central.readings)).toBe(0);
    expect(countMissing(central.readings, edge.readings)).toBe(0);
    expect(countMissing(central.readings, published.attempted)).toBe(0);
    passed = true;
    console.log(
      `[chaos] acked ${published.acked.size}, published ${published.attempted.size}, central ${central.rows} rows ` +
        `in ${central.edges.get("site-chaos")?.batches} batches, edge buffer ${edge.rows} rows, drain ${report.drainMs} ms`,
    );
  }, 300_000);
});
