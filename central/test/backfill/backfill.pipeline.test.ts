/**
 * The pipeline's promises, without HTTP: back-pressure against a slow database, the error cap, a line
 * the parser cannot get past, and a source that breaks off in the middle of a row.
 */
import { describe, expect, it, vi } from "vitest";
import { backfill, MAX_LINE_BYTES } from "../../src/backfill/backfill.ts";
import { laneOf } from "../../src/backfill/committer.ts";
import { CsvUnreadableError, UploadStoppedError } from "../../src/backfill/errors.ts";
import { createUploadStore } from "../../src/backfill/uploads.ts";
import { createTestDatabase } from "../support/test-database.ts";

const db = await createTestDatabase();
const uploads = createUploadStore(db.sql);
const deps = { sql: db.sql, uploads, validation: { now: () => Date.parse("2024-06-01T00:00:00Z") } };
let uploadNumber = 0;
const options = () => ({
  uploadId: `bf_pipe_${++uploadNumber}`,
  fileName: "x.csv",
  tokenId: null,
  maxBytes: 1e12,
});

const HEADER = "equipmentId,timestamp,value\n";
const row = (id: string, i: number, value: string | number = i) =>
  `${id},${new Date(Date.parse("2024-01-01T00:00:00Z") + i * 1000).toISOString()},${value}\n`;

async function* text(...parts: string[]): AsyncGenerator<Uint8Array> {
  for (const part of parts) yield Buffer.from(part);
}

async function caught(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (error) {
    return error;
  }
  throw new Error("expected the upload to fail");
}

/** A database failure on demand: inserting a reading of sensor BOOM raises. Returns its removal. */
async function refuseBoom(): Promise<() => Promise<void>> {
  await db.sql.unsafe(`
    create function boom() returns trigger language plpgsql as $$
    begin raise exception 'boom at %', new.ts; end $$;
    create trigger boom before insert on readings for each row
      when (new.equipment_id = 'BOOM') execute function boom();`);
  return async () => {
    await db.sql`drop trigger boom on readings`;
    await db.sql`drop function boom`;
  };
}

/** Readings stored by an upload. */
async function storedBy(uploadId: string): Promise<number> {
  const [row] = await db.sql<
    { n: number }[]
  >`select count(*)::int as n from readings where source = ${uploadId}`;
  return row?.n ?? 0;
}

describe("the backfill pipeline", () => {
  it("stops reading the source while the database is slow, then finishes exactly", async () => {
    // Another transaction holds a lock every batch needs: the database is "slow" until it lets go.
    const blocker = await db.sql.reserve();
    await blocker`begin`;
    await blocker`lock table rollup_hour in share mode`;
    let pulled = 0;
    const rows = 60_000;
    async function* source(): AsyncGenerator<Uint8Array> {
      yield Buffer.from(HEADER);
      for (let i = 0; i < rows; i += 1000) {
        let chunk = "";
        for (let k = i; k < i + 1000; k++) chunk += row("BP-1", k);
        pulled += chunk.length;
        yield Buffer.from(chunk);
      }
    }
    const upload = backfill(deps, source(), { ...options(), batchRows: 5000 });
    await new Promise((resolve) => setTimeout(resolve, 1500));
    const whileBlocked = pulled;
    // One batch committing, the next one filling (5,000 rows each, ~46 bytes a row) and the stream
    // buffers: about 420 kB measured, out of the 2.8 MB file.
    expect(whileBlocked).toBeLessThan(1_000_000);
    await new Promise((resolve) => setTimeout(resolve, 500));
    expect(pulled).toBe(whileBlocked);
    await blocker`rollback`;
    blocker.release();
    const report = await upload;
    expect(report).toMatchObject({ status: "complete", rows, inserted: rows, rejected: 0 });
  });

  it("keeps the first 1,000 errors and counts them all", async () => {
    let body = HEADER;
    for (let i = 0; i < 1500; i++) body += row("CAP-1", i, "n/a");
    for (let i = 1500; i < 1510; i++) body += row("CAP-1", i);
    const { uploadId, ...rest } = options();
    const report = await backfill(deps, text(body), { uploadId, ...rest, batchRows: 400 });
    expect(report).toMatchObject({ rows: 1510, inserted: 10, rejected: 1500, errorsTotal: 1500 });
    expect(report.errors).toHaveLength(1000);
    expect(report.errors.at(-1)).toEqual({ line: 1001, reason: 'value "n/a" is not a number' });
    const stored = await uploads.get(uploadId);
    expect(stored?.report.errors).toEqual(report.errors);
  });

  it("stops at a line longer than 1 MiB, keeping the rows before it, and records the upload as failed", async () => {
    const opened = `UN-1,2024-01-01T00:00:03Z,"${"x".repeat(MAX_LINE_BYTES + 10)}\n`;
    const error = await caught(
      backfill(
        deps,
        text(HEADER, row("UN-1", 0), row("UN-1", 1), row("UN-1", 2), opened, row("UN-1", 4)),
        options(),
      ),
    );
    expect(error).toBeInstanceOf(UploadStoppedError);
    const { report, cause } = error as UploadStoppedError;
    expect(cause).toBeInstanceOf(CsvUnreadableError);
    expect(report).toMatchObject({ status: "failed", rows: 4, inserted: 3, rejected: 1, committedLine: 5 });
    expect(report.errors).toEqual([
      {
        line: 5,
        reason:
          "the row starting on this line is longer than 1048576 bytes: a quoted field is never closed, or the lines end in a lone CR; the rest of the file was not read",
      },
    ]);
  });

  it("drops the row a broken source cut in half, stores the complete ones, and says how far it got", async () => {
    const complete = HEADER + row("CUT-1", 0) + row("CUT-1", 1);
    async function* broken(): AsyncGenerator<Uint8Array> {
      yield Buffer.from(complete);
      yield Buffer.from(row("CUT-1", 2, "78.25").slice(0, -4)); // "…,78" of "…,78.25"
      throw new Error("socket hang up");
    }
    const error = await caught(backfill(deps, broken(), options()));
    expect(error).toBeInstanceOf(UploadStoppedError);
    const { report } = error as UploadStoppedError;
    expect(report).toMatchObject({
      status: "incomplete",
      rows: 2,
      inserted: 2,
      committedLine: 3,
      committedBytes: complete.length,
      detail: "the upload was cut off before the end of the file (socket hang up)",
    });
    const [stored] = await db.sql<{ n: number }[]>`
      select count(*)::int as n from readings where equipment_id = 'CUT-1'`;
    expect(stored?.n).toBe(2);
  });

  it("stops at a batch the database refuses, recorded as incomplete after the last batch stored", async () => {
    const allowBoom = await refuseBoom();
    let body = HEADER;
    for (let i = 0; i < 10_000; i++) body += row(i === 4_500 ? "BOOM" : "OV-1", i);
    const { uploadId, ...rest } = options();
    const failure = await caught(backfill(deps, text(body), { uploadId, ...rest, batchRows: 1000 }));
    expect(String(failure)).toContain("boom at");
    const stored = await uploads.get(uploadId);
    // Batches 1-4 (rows 1-4,000, lines 2-4,001) are in; batch 5 failed, and nothing after it was tried.
    expect(stored?.report).toMatchObject({
      status: "incomplete",
      inserted: 4000,
      rows: 4000,
      committedLine: 4001,
    });
    expect(await storedBy(uploadId)).toBe(4000);
    await allowBoom();

    const again = await backfill(deps, text(body.replace("BOOM", "OV-1")), {
      ...options(),
      batchRows: 1000,
    });
    expect(again).toMatchObject({ status: "complete", rows: 10_000, inserted: 6000, duplicates: 4000 });
  });

  it("keeps the report equal to what is stored when one lane fails while the other goes on", async () => {
    // BOOM and OV-2 hash to different lanes: the BOOM lane fails in batch 3. By then the OV-2 lane has
    // started its part of batch 2 (batch 3 is handed over once batch 1 is advanced) and may have
    // committed its parts of batches 3 and 4, but never of batch 5.
    expect(laneOf("BOOM")).not.toBe(laneOf("OV-2"));
    const allowBoom = await refuseBoom();
    let body = HEADER;
    for (let i = 0; i < 5_000; i++) body += row(i === 2_500 ? "BOOM" : "OV-2", i);
    const { uploadId, ...rest } = options();
    const failure = await caught(backfill(deps, text(body), { uploadId, ...rest, batchRows: 1000 }));
    expect(String(failure)).toContain("boom at");
    const stored = await uploads.get(uploadId);
    const count = await storedBy(uploadId);
    expect(count).toBeGreaterThanOrEqual(2000);
    expect(count).toBeLessThanOrEqual(3999);
    // Batches 1-2 are advanced; what the OV-2 lane committed beyond them is counted, not advanced.
    expect(stored?.report).toMatchObject({
      status: "incomplete",
      inserted: count,
      duplicates: 0,
      rows: 2000,
      committedLine: 2001,
    });
    await allowBoom();

    const again = await backfill(deps, text(body.replace("BOOM", "OV-2")), {
      ...options(),
      batchRows: 1000,
    });
    expect(again).toMatchObject({
      status: "complete",
      rows: 5000,
      inserted: 5000 - count,
      duplicates: count,
    });
  });

  it("lets a lane run ahead of the other by whole batches, and advances in file order", async () => {
    // Batch 1 has one reading of the slow lane, which waits on another session's uncommitted insert
    // of the same reading; everything else is the fast lane's, which goes on without it.
    const fast = "LANE-FAST";
    const slow = Array.from({ length: 50 }, (_, i) => `LANE-SLOW-${i}`).find(
      (id) => laneOf(id) !== laneOf(fast),
    );
    if (slow === undefined) throw new Error("no sensor id of the other lane");
    let body = HEADER;
    for (let i = 0; i < 3_000; i++) body += row(i === 500 ? slow : fast, i);
    const blocker = await db.sql.reserve();
    await blocker`begin`;
    await blocker`
      insert into readings (equipment_id, ts, value_centi, source)
      values (${slow}, ${new Date(Date.parse("2024-01-01T00:00:00Z") + 500_000)}, 50000, 'blocker')`;
    const { uploadId, ...rest } = options();
    const upload = backfill(deps, text(body), { uploadId, ...rest, batchRows: 1000 });
    // The fast lane's parts of batches 1 and 2 commit while batch 1's slow part waits, but nothing
    // is advanced past it.
    await vi.waitFor(async () => expect(await storedBy(uploadId)).toBe(1999), {
      timeout: 15_000,
      interval: 50,
    });
    expect((await uploads.get(uploadId))?.report).toMatchObject({
      inserted: 1999,
      rows: 0,
      committedLine: 0,
    });
    await blocker`rollback`;
    blocker.release();
    expect(await upload).toMatchObject({
      status: "complete",
      rows: 3000,
      inserted: 3000,
      committedLine: 3001,
    });
  });
});
