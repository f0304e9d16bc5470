import { gunzipSync } from "node:zlib";
import { edgeBatchSchema } from "@plantlink/shared";
import { describe, expect, it } from "vitest";
import type { BufferedReading } from "../../src/buffer/buffer.ts";
import { encodeBatch, prepareBatch, splitBatch, takeBatch } from "../../src/forwarder/batch.ts";

const buffered = (seqs: number[], centi = 100): BufferedReading[] =>
  seqs.map((seq) => ({
    seq,
    equipmentId: `EQ-${seq}`,
    ts: Date.UTC(2024, 0, 1, 0, 0, seq % 60),
    centi,
    receivedAt: 0,
  }));
const range = (a: number, b: number) => Array.from({ length: b - a + 1 }, (_, i) => a + i);
const limits = { maxReadings: 100, maxBytes: 1_000_000 };

async function idOf(readings: BufferedReading[]): Promise<string> {
  const batch = takeBatch(readings, "backlog", limits, 100);
  if (!batch) throw new Error("no batch");
  return (await prepareBatch(batch)).id;
}

describe("batches", () => {
  it("derive their id from the seqs and the content: the same readings give the same id", async () => {
    const id = await idOf(buffered(range(1, 50)));
    expect(await idOf(buffered(range(1, 50)))).toBe(id);
    expect(id).toMatch(/^1-50-50-[A-Za-z0-9_-]{22}$/);
    // A recreated buffer reuses seqs for other readings: the id must differ, or central would replay.
    expect(await idOf(buffered(range(1, 50), 101))).not.toBe(id);
    // A gap (a reading synced by another batch) is a different seq set.
    expect(await idOf(buffered([...range(1, 20), ...range(22, 51)]))).not.toBe(id);
  });

  it("never cross an aligned block, so cut points survive a restart", () => {
    const batch = takeBatch(buffered(range(71, 170)), "backlog", limits, 100);
    expect(batch?.readings.map((r) => r.seq)).toEqual(range(71, 100));
    const next = takeBatch(buffered(range(101, 250)), "backlog", limits, 100);
    expect(next?.readings.length).toBe(100);
  });

  it("count their bytes exactly without formatting, stop at the byte limit, and carry at least one reading", async () => {
    const odd: BufferedReading[] = [-1, 0, 5, 10, 12345, -99_999_999_999_999, 99_999_999_999_999].map(
      (centi, i) => ({
        seq: i + 1,
        equipmentId: `A.b_c:d-${"x".repeat(i * 7)}`,
        ts: Date.UTC(2024, 1, 29, 23, 59, 59, 999) + i,
        centi,
        receivedAt: 0,
      }),
    );
    const all = takeBatch(odd, "backlog", limits, 100);
    if (!all) throw new Error("no batch");
    const { items } = await prepareBatch(all);
    expect(all.itemBytes).toBe(items.reduce((n, item) => n + item.length + 1, 0));

    const batch = takeBatch(buffered(range(1, 100)), "backlog", { maxReadings: 100, maxBytes: 500 }, 100);
    expect(batch?.itemBytes).toBeLessThanOrEqual(500);
    expect(batch?.readings.length).toBeGreaterThan(1);
    const one = takeBatch(buffered(range(1, 100)), "backlog", { maxReadings: 100, maxBytes: 10 }, 100);
    expect(one?.readings.length).toBe(1);
  });

  it("split in two halves with their own ids", async () => {
    const batch = takeBatch(buffered(range(1, 9)), "backlog", limits, 100);
    if (!batch) throw new Error("no batch");
    const halves = splitBatch(batch);
    if (!halves) throw new Error("no halves");
    expect(halves.map((h) => h.readings.length)).toEqual([5, 4]);
    expect((await prepareBatch(halves[0])).id).not.toBe((await prepareBatch(batch)).id);
    expect(halves[0].itemBytes + halves[1].itemBytes).toBe(batch.itemBytes);
    expect(splitBatch({ ...batch, readings: batch.readings.slice(0, 1) })).toBe(undefined);
  });

  it("encode to gzip JSON that central's batch schema accepts", async () => {
    const batch = takeBatch(buffered(range(1, 3)), "backlog", limits, 100);
    if (!batch) throw new Error("no batch");
    const body = await encodeBatch(batch, { edgeId: "site-1", backlog: 42, oldestUnsyncedMs: 1234 }, 6);
    const parsed = edgeBatchSchema.parse(JSON.parse(gunzipSync(body).toString("utf8")));
    expect(parsed).toEqual({
      edgeId: "site-1",
      batchId: batch.wire?.id,
      backlog: 42,
      oldestUnsyncedMs: 1234,
      readings: [
        { equipmentId: "EQ-1", value: 1, timestamp: "2024-01-01T00:00:01.000Z" },
        { equipmentId: "EQ-2", value: 1, timestamp: "2024-01-01T00:00:02.000Z" },
        { equipmentId: "EQ-3", value: 1, timestamp: "2024-01-01T00:00:03.000Z" },
      ],
    });
  });
});
