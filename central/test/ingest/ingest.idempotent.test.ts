/**
 * An edge batch is ingested once: the same (edgeId, batchId) again — after the first, or at the same
 * time — gets the first answer and changes nothing.
 */
import type { Reading } from "@plantlink/shared";
import { describe, expect, it } from "vitest";
import { type EdgeBatchMeta, ingestEdgeBatch } from "../../src/ingest/edge-batch.ts";
import { createTestDatabase } from "../support/test-database.ts";

const db = await createTestDatabase();
const { sql } = db;

const t0 = Date.parse("2024-05-01T00:00:00.000Z");
const readings = (equipmentId: string): Reading[] =>
  Array.from({ length: 200 }, (_, i) => ({ equipmentId, ts: t0 + i * 1000, centi: i % 7 }));
const meta = (backlog: number): EdgeBatchMeta => ({
  received: 201,
  rejected: 1,
  errors: [{ index: 200, field: "timestamp", reason: "timestamp has no UTC offset" }],
  backlog,
  oldestUnsyncedMs: 1234,
});

async function state(equipmentId: string) {
  const [row] = await sql`
    select
      (select count(*)::int from readings where equipment_id = ${equipmentId}) as readings,
      (select sum(count)::int from rollup_hour where equipment_id = ${equipmentId}) as rolled_up,
      (select count(*)::int from conflicts where equipment_id = ${equipmentId}) as conflicts`;
  return row;
}

describe("edge batches", () => {
  it("answers a repeated batch with the first answer and changes nothing", async () => {
    await ingestEdgeBatch(sql, "site-1", "warm-up", readings("EQ-A").slice(0, 10), meta(0));
    const first = await ingestEdgeBatch(sql, "site-1", "batch-1", readings("EQ-A"), meta(5000));
    expect(first.replayed).toBe(false);
    expect(first.answer).toEqual({
      received: 201,
      inserted: 190,
      duplicates: 10,
      conflicts: 0,
      setAside: 0,
      rejected: 1,
      errors: [{ index: 200, field: "timestamp", reason: "timestamp has no UTC offset" }],
    });
    const before = await state("EQ-A");
    const [edgeBefore] = await sql`select * from edges where edge_id = 'site-1'`;

    // The retry may differ (here: other values, another backlog); the first answer stands.
    const changed = readings("EQ-A").map((r) => ({ ...r, centi: r.centi + 1 }));
    const again = await ingestEdgeBatch(sql, "site-1", "batch-1", changed, meta(0));
    expect(again).toEqual({ answer: first.answer, replayed: true });
    expect(await state("EQ-A")).toEqual(before);
    expect(await sql`select * from edges where edge_id = 'site-1'`).toEqual([edgeBefore]);
    expect(edgeBefore).toMatchObject({ readings_total: "200", backlog: "5000", oldest_unsynced_ms: "1234" });
  });

  it("ingests a batch posted twice at the same time once, and answers both the same", async () => {
    const copies = await Promise.all([
      ingestEdgeBatch(sql, "site-2", "batch-9", readings("EQ-B"), meta(7)),
      ingestEdgeBatch(sql, "site-2", "batch-9", readings("EQ-B"), meta(7)),
      ingestEdgeBatch(sql, "site-2", "batch-9", readings("EQ-B"), meta(7)),
    ]);
    expect(copies.map((copy) => copy.replayed).sort()).toEqual([false, true, true]);
    for (const copy of copies) expect(copy.answer).toEqual(copies[0]?.answer);
    expect(copies[0]?.answer).toMatchObject({ inserted: 200, duplicates: 0, conflicts: 0 });
    expect(await state("EQ-B")).toEqual({ readings: 200, rolled_up: 200, conflicts: 0 });
    const [edge] = await sql`
      select e.readings_total::int as total, d.readings::int as today
      from edges e join edge_days d using (edge_id) where edge_id = 'site-2'`;
    expect(edge).toEqual({ total: 200, today: 200 });
  });

  it("lets the batch be ingested again when the first attempt failed", async () => {
    const bad: Reading[] = [{ equipmentId: "EQ-C", ts: t0, centi: 2 ** 64 }]; // overflows bigint: the transaction fails
    await expect(ingestEdgeBatch(sql, "site-3", "batch-1", bad, meta(0))).rejects.toThrow();
    const retry = await ingestEdgeBatch(sql, "site-3", "batch-1", readings("EQ-C"), meta(0));
    expect(retry.replayed).toBe(false);
    expect(retry.answer.inserted).toBe(200);
  });

  it("keeps batches of different edges with the same batch id apart", async () => {
    const a = await ingestEdgeBatch(sql, "site-4", "b", readings("EQ-D"), meta(0));
    const b = await ingestEdgeBatch(sql, "site-5", "b", readings("EQ-E"), meta(0));
    expect([a.replayed, b.replayed]).toEqual([false, false]);
    expect(b.answer.inserted).toBe(200);
  });
});
