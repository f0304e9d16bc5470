/**
 * Commits an upload's batches in file order, one batch at a time while the caller fills the next.
 * A batch's rows go in as two transactions at once ("lanes"), each with the sensors of its half of a
 * stable hash of the id, and each adding what it stored to the upload's counts in the same
 * transaction, so the counts always equal what is stored. Once both lanes have committed, the
 * upload's progress (`committedLine` and the batch's rejected lines) is advanced: it never runs ahead
 * of a stored batch, and after a crash between a lane's commit and the advance it lags by one batch,
 * which a re-upload counts as duplicates.
 *
 * Why lanes: the database side of a batch is the slow part, and one transaction at a time leaves the
 * second core idle while PostgreSQL waits for its WAL; with two lanes a 1,000,000-row file went in
 * 1.6× as fast (docs/performance.md, "Backfill"; four lanes were slower on 2 cores). Lanes never
 * share a sensor, so they never wait for each other's rollup or equipment rows; their only common row
 * is the upload's, updated last, just before the commit. Neither waits for the other inside its
 * transaction: a live writer of the same sensors could otherwise close a wait cycle through this
 * process, where no deadlock detector sees it. Batches still go one at a time for the same reason.
 */
import type { Reading } from "@plantlink/shared";
import type { Sql } from "../db/connect.ts";
import { ingestInTransaction } from "../ingest/ingest.ts";
import { type UploadCounts, type UploadLineError, zeroCounts } from "./report.ts";
import type { StoredCounts, UploadStore } from "./uploads.ts";

/** Transactions per batch; see the module comment. */
const LANES = 2;

/** A sensor's lane: FNV-1a of its id, so each sensor always goes the same way. */
export function laneOf(equipmentId: string): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < equipmentId.length; i++) {
    hash = Math.imul(hash ^ equipmentId.charCodeAt(i), 0x01000193);
  }
  return (hash >>> 0) % LANES;
}

export interface Batch {
  readings: Reading[];
  /** Data rows the batch covers, stored or rejected. */
  rows: number;
  rejected: number;
  errorsTotal: number;
  /** The errors of this batch that fit under the upload's cap. */
  errors: UploadLineError[];
  /** The last line the batch covers, and the file offset just past it. */
  lastLine: number;
  lastByte: number;
  /** Bytes of the file read when the batch was closed. */
  bytesRead: number;
}

export const newBatch = (): Batch => ({
  readings: [],
  rows: 0,
  rejected: 0,
  errorsTotal: 0,
  errors: [],
  lastLine: 0,
  lastByte: 0,
  bytesRead: 0,
});

export type BatchOutcome = { inserted: number; duplicates: number; conflicts: number; rejected: number };

export interface CommitterOptions {
  sql: Sql;
  uploads: UploadStore;
  uploadId: string;
  /** The columns the file has that are ignored, known once the header is read. */
  extraColumns: () => readonly string[];
  onBatch?: ((outcome: BatchOutcome, seconds: number) => void) | undefined;
}

export interface Committer {
  /** Starts committing a batch once the one before it has committed: that wait is the back-pressure. */
  submit(batch: Batch): Promise<void>;
  /** Resolves when every batch handed over is committed; rejects with the first failure. */
  drain(): Promise<void>;
  /** Counts of what is committed so far. */
  readonly committed: UploadCounts;
  /** The errors of the committed batches, in line order. */
  readonly errors: UploadLineError[];
}

export function createCommitter(options: CommitterOptions): Committer {
  const { sql, uploads, uploadId } = options;
  let committed = zeroCounts();
  const errors: UploadLineError[] = [];
  let inflight: Promise<void> | undefined;

  /** One lane's transaction: its readings and what it stored added to the upload's counts. */
  const storeLane = (readings: Reading[]) =>
    sql.begin(async (tx) => {
      const stored = await ingestInTransaction(tx, readings, uploadId);
      await uploads.count(tx, uploadId, stored);
      return stored;
    });

  const commit = async (batch: Batch) => {
    const started = performance.now();
    const lanes: Reading[][] = Array.from({ length: LANES }, () => []);
    for (const reading of batch.readings) lanes[laneOf(reading.equipmentId)]!.push(reading);
    const results = await Promise.allSettled(lanes.filter((readings) => readings.length > 0).map(storeLane));
    // Whatever a lane committed is stored and counted, even when the other lane failed.
    const outcome: StoredCounts = { inserted: 0, duplicates: 0, conflicts: 0 };
    for (const result of results) {
      if (result.status !== "fulfilled") continue;
      outcome.inserted += result.value.inserted;
      outcome.duplicates += result.value.duplicates;
      outcome.conflicts += result.value.conflicts;
    }
    committed = {
      ...committed,
      inserted: committed.inserted + outcome.inserted,
      duplicates: committed.duplicates + outcome.duplicates,
      conflicts: committed.conflicts + outcome.conflicts,
    };
    const failed = results.find((result) => result.status === "rejected");
    if (failed) throw failed.reason;
    const next: UploadCounts = {
      ...committed,
      bytes: batch.bytesRead,
      rows: committed.rows + batch.rows,
      rejected: committed.rejected + batch.rejected,
      errorsTotal: committed.errorsTotal + batch.errorsTotal,
      committedLine: batch.lastLine,
      committedBytes: batch.lastByte,
    };
    await uploads.advance(uploadId, {
      counts: next,
      newErrors: batch.errors,
      extraColumns: options.extraColumns(),
    });
    committed = next;
    errors.push(...batch.errors);
    options.onBatch?.({ ...outcome, rejected: batch.rejected }, (performance.now() - started) / 1000);
  };

  return {
    async submit(batch) {
      if (batch.rows === 0) return;
      if (inflight) await inflight;
      inflight = commit(batch);
      inflight.catch(() => undefined); // seen by the next submit() or by drain()
    },
    async drain() {
      if (inflight) await inflight;
    },
    get committed() {
      return committed;
    },
    errors,
  };
}
