/**
 * The buffer's sync API, the one the forwarder builds on: a monotonic seq, oldest-unsynced reads,
 * idempotent out-of-order markSynced, counts, and a prune that never deletes an unsynced reading.
 * Checked against a plain in-memory model over random operation sequences, on a real SQLite file.
 */
import type { Reading } from "@plantlink/shared";
import fc from "fast-check";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { createReadingBuffer, type ReadingBuffer } from "../src/buffer/buffer.ts";
import { type Db, openDatabase } from "../src/buffer/database.ts";
import { createQuarantine } from "../src/buffer/quarantine.ts";
import { tempDir } from "./support/edge.ts";

let temp: ReturnType<typeof tempDir>;
let db: Db;
let buffer: ReadingBuffer;

const reading = (i: number): Reading => ({
  equipmentId: `EQ-${i % 7}`,
  ts: 1_700_000_000_000 + i * 1000,
  centi: i,
});

beforeEach(() => {
  temp = tempDir("plantlink-sync-");
  db = openDatabase(`${temp.dir}/buffer.sqlite`, { synchronous: "NORMAL" });
  buffer = createReadingBuffer(db, createQuarantine(db));
});
afterEach(() => {
  db.close();
  temp.remove();
});

describe("buffer sync state", () => {
  it("hands out consecutive seqs and reads the oldest unsynced first", () => {
    expect(buffer.commit([reading(1), reading(2)], [], 10)).toEqual({ firstSeq: 1, lastSeq: 2 });
    expect(buffer.commit([reading(3)], [], 20)).toEqual({ firstSeq: 3, lastSeq: 3 });
    expect(buffer.readUnsynced({ limit: 2 }).map((r) => r.seq)).toEqual([1, 2]);
    expect(buffer.oldestUnsynced()).toMatchObject({ seq: 1, receivedAt: 10, ...reading(1) });
    expect(buffer.countUnsynced()).toBe(3);
  });

  it("stores a large batch exactly, in order, with consecutive seqs", () => {
    const batch = Array.from({ length: 123 }, (_, i) => reading(i * 7 + 3));
    expect(buffer.commit(batch, [], 5)).toEqual({ firstSeq: 1, lastSeq: 123 });
    const back = buffer.readUnsynced({ limit: 1000 });
    expect(back.map(({ equipmentId, ts, centi }) => ({ equipmentId, ts, centi }))).toEqual(batch);
    expect(back.map((r) => r.seq)).toEqual(batch.map((_, i) => i + 1));
  });

  it("folds batches acknowledged out of order into the watermark", () => {
    buffer.commit([1, 2, 3, 4, 5, 6].map(reading), [], 1);
    expect(buffer.markSynced([4, 5], 100)).toBe(2);
    expect(buffer.readUnsynced({ limit: 10 }).map((r) => r.seq)).toEqual([1, 2, 3, 6]);
    expect(buffer.stats().watermark).toBe(0);
    expect(buffer.markSynced([1, 2, 3], 200)).toBe(3);
    expect(buffer.stats()).toMatchObject({ watermark: 5, unsynced: 1, lastSyncAt: 200 });
    expect(buffer.markSynced([1, 2, 3], 300)).toBe(0);
    expect(buffer.oldestUnsynced()?.seq).toBe(6);
  });

  it("never reuses a seq, even after every reading was synced and pruned", () => {
    buffer.commit([reading(1), reading(2)], [], 1);
    buffer.markSynced([1, 2], 2);
    expect(buffer.prune({ now: 10, retentionMs: 0 })).toBe(2);
    expect(buffer.stats()).toMatchObject({ rows: 0, unsynced: 0, lastSeq: 2 });
    expect(buffer.commit([reading(3)], [], 11)).toEqual({ firstSeq: 3, lastSeq: 3 });
  });

  it("prunes synced readings only after the retention, oldest first", () => {
    buffer.commit([reading(1)], [], 1000);
    buffer.commit([reading(2)], [], 2000);
    buffer.markSynced([1, 2], 3000);
    expect(buffer.prune({ now: 2500, retentionMs: 1000 })).toBe(1);
    expect(buffer.stats().rows).toBe(1);
    expect(buffer.prune({ now: 2500, retentionMs: 1000 })).toBe(0);
    expect(buffer.prune({ now: 3500, retentionMs: 1000 })).toBe(1);
  });

  it("keeps the forwarder's last error for status", () => {
    buffer.recordSyncError("central answered 503", 42);
    expect(buffer.stats().lastError).toEqual({ message: "central answered 503", at: 42 });
  });

  it("matches a plain model over random appends, syncs and prunes", () => {
    const op = fc.oneof(
      fc.record({ kind: fc.constant("append" as const), n: fc.integer({ min: 1, max: 120 }) }),
      fc.record({ kind: fc.constant("sync" as const), picks: fc.array(fc.nat(), { maxLength: 15 }) }),
      fc.record({ kind: fc.constant("syncPrefix" as const), n: fc.integer({ min: 1, max: 30 }) }),
      fc.record({
        kind: fc.constant("prune" as const),
        pressure: fc.boolean(),
        maxRows: fc.integer({ min: 1, max: 25 }),
      }),
    );
    fc.assert(
      fc.property(fc.array(op, { maxLength: 40 }), (ops) => {
        db.exec("DELETE FROM readings; DELETE FROM synced_ranges; UPDATE sync_state SET watermark = 0;");
        db.exec("DELETE FROM sqlite_sequence");
        const present = new Map<number, boolean>(); // seq → synced
        let clock = 0;
        for (const o of ops) {
          clock += 10;
          if (o.kind === "append") {
            const got = buffer.commit(
              Array.from({ length: o.n }, (_, i) => reading(clock + i)),
              [],
              clock,
            );
            for (let s = got?.firstSeq ?? 1; s <= (got?.lastSeq ?? 0); s++) present.set(s, false);
          } else if (o.kind === "sync" || o.kind === "syncPrefix") {
            const unsynced = [...present].filter(([, synced]) => !synced).map(([seq]) => seq);
            const seqs =
              o.kind === "sync"
                ? o.picks
                    .map((p) => unsynced[p % Math.max(1, unsynced.length)])
                    .filter((s) => s !== undefined)
                : unsynced.slice(0, o.n);
            const newly = new Set(seqs.filter((s) => present.get(s) === false)).size;
            expect(buffer.markSynced(seqs, clock)).toBe(newly);
            for (const s of seqs) present.set(s, true);
          } else {
            const before = new Set([...present].filter(([, synced]) => !synced).map(([seq]) => seq));
            buffer.prune({ now: clock, retentionMs: 25, maxRows: o.maxRows, pressure: o.pressure });
            const left = new Set(db.prepare("SELECT seq FROM readings").pluck().all() as number[]);
            for (const seq of before) expect(left.has(seq), `unsynced seq ${seq} was pruned`).toBe(true);
            for (const seq of [...present.keys()]) if (!left.has(seq)) present.delete(seq);
          }
          const unsynced = [...present].filter(([, synced]) => !synced).map(([seq]) => seq);
          expect(buffer.countUnsynced()).toBe(unsynced.length);
          expect(buffer.readUnsynced({ limit: 1000 }).map((r) => r.seq)).toEqual(unsynced);
          expect(buffer.oldestUnsynced()?.seq).toBe(unsynced[0]);
          expect(buffer.stats().rows).toBe(db.prepare("SELECT count(*) FROM readings").pluck().get());
          // A cursor-based read (several batches in flight) continues where the last one stopped.
          const after = unsynced[2];
          if (after !== undefined) {
            expect(buffer.readUnsynced({ afterSeq: after, limit: 3 }).map((r) => r.seq)).toEqual(
              unsynced.filter((s) => s > after).slice(0, 3),
            );
          }
        }
      }),
      { numRuns: 150 },
    );
  });
});
