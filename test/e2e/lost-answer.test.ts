/**
 * The answer to a batch is lost after central committed it (the proxy cuts the connection as the
 * response starts): the edge sends the same batch again, central answers it from its record, and the
 * readings are stored — and counted — once.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { createTestDatabase } from "../../central/test/support/test-database.ts";
import { startFaultProxy } from "./support/fault-proxy.ts";
import {
  centralInProcess,
  commitReadings,
  dir,
  edgeInProcess,
  edgeToken,
  syncOf,
  until,
} from "./support/in-process.ts";
import { readCentral } from "./support/ledger.ts";

const db = await createTestDatabase();
const root = mkdtempSync(join(tmpdir(), "plantlink-lost-"));
afterAll(() => rmSync(root, { recursive: true, force: true }));

describe("a lost answer", () => {
  it("is resent as the same batch and counted once", async () => {
    const central = await centralInProcess(db.url, dir(root, "central"));
    const proxy = await startFaultProxy({ host: "127.0.0.1", port: central.port });
    const { token } = await edgeToken(db.sql, "lost");
    proxy.dropResponses(2);
    const edge = await edgeInProcess(dir(root, "edge"), "lost", {
      PLANTLINK_CENTRAL_URL: proxy.url(),
      PLANTLINK_CENTRAL_TOKEN: token,
      PLANTLINK_FORWARD_BATCH_READINGS: "250",
      PLANTLINK_FORWARD_IN_FLIGHT: "1",
    });
    try {
      commitReadings(edge, "LOST", 1000);
      await until(
        () => edge.status().buffered,
        (n) => n === 0,
      );
      const sync = syncOf(edge);
      expect(proxy.counts().dropped).toBe(2);
      expect(sync.totals.failures).toBe(2);
      expect(sync.lastError?.code).toBe("connection_lost");
      // Each lost batch went again with the same id and got central's recorded answer.
      const ledger = await readCentral(db.sql);
      const [row] = await db.sql<
        { n: number }[]
      >`select count(*)::int as n from edge_batches where edge_id = 'lost'`;
      expect(row?.n).toBe(4);
      expect(ledger.rows).toBe(1000);
      expect(ledger.edges.get("lost")).toMatchObject({ readingsTotal: 1000, answeredInserted: 1000 });
      expect(sync.totals).toMatchObject({ batches: 4, readings: 1000, inserted: 1000, duplicates: 0 });
      const metrics = await (await fetch(`${central.url}/metrics`)).text();
      expect(metrics).toMatch(/plantlink_central_readings_total\{source="edge",outcome="inserted"\} 1000\b/);
    } finally {
      await edge.close();
      await proxy.close();
      await central.close();
    }
  });
});
