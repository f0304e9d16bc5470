/**
 * Commits an upload's batches in file order while the caller fills the next. A batch's rows go in as
 * two transactions ("lanes"), each with the sensors of its half of a stable hash of the id, and each
 * adding what it stored to the upload's counts in the same transaction, so the counts always equal
 * what is stored. Each lane goes on to its part of the next batch as soon as its part of this one has
 * committed; it does not wait for the other lane. Once both lanes have committed a batch, the
 * upload's progress (`committedLine` and the batch's rejected lines) is advanced, in file order: it
 * never runs ahead of a stored batch. After a failure or a crash it may lag the stored rows by up to
 * two batches (one lane ahead of the other, and a lane ahead of the advance); a re-upload counts those
 * rows as duplicates.
 *
 * Why lanes: the database side of a batch is the slow part, and one transaction at a time leaves the
 * second core idle while PostgreSQL waits for its WAL; with two lanes a 1,000,000-row file went in
 * 1.6× as fast, and without a barrier between batches the slower lane no longer sets the pace
 * (docs/performance.md, "Backfill"; four lanes were slower on 2 cores). Lanes never share a sensor,
 * so they never wait for each other's rollup or equipment rows; their only common row is the
 * upload's, updated last, just before the commit. Neither waits for the other inside its
 * transaction: a live writer of the same sensors could otherwise close a wait cycle through this
 * process, where no deadlock detector sees it.
 */
import type { Reading } from "@plantlink/shared";
import type { Sql } from "../db/connect.ts";
import { ingestScreened } from "../ingest/set-aside.ts";
import { type UploadCounts, type UploadLineError, zeroCounts } from "./report.ts";
import type { StoredCounts, UploadStore } from "./uploads.ts";

/** Transactions per batch; see the module comment. */
const LANES = 2;
/** Batches handed to the lanes and not yet advanced, while the caller fills one more. */
const BATCHES_IN_FLIGHT = 2;

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

export type BatchOutcome = {
  inserted: number;
  duplicates: number;
  conflicts: number;
  setAside: number;
  rejected: number;
};

export interface CommitterOptions {
  sql: Sql;
  uploads: UploadStore;
  uploadId: string;
  /** The global sentinel values, in hundredths (ingest/screen.ts). */
  sentinels: readonly number[];
  /** The columns the file has that are ignored, known once the header is read. */
  extraColumns: () => readonly string[];
  onBatch?: ((outcome: BatchOutcome, seconds: number) => void) | undefined;
}

export interface Committer {
  /** Hands a batch to the lanes once the batch two before it is advanced: that wait is the back-pressure. */
  submit(batch: Batch): Promise<void>;
  /** Resolves when every batch handed over is committed and advanced; rejects with the first failure. */
  drain(): Promise<void>;
  /** Counts of what is committed so far; exact once drain() has settled. */
  readonly committed: UploadCounts;
  /** The errors of the advanced batches, in line order. */
  readonly errors: UploadLineError[];
}

export function createCommitter(options: CommitterOptions): Committer {
  const { sql, uploads, uploadId } = options;
  /** What the lanes' transactions stored, added as each commits. */
  const stored: StoredCounts = { inserted: 0, duplicates: 0, conflicts: 0, setAside: 0 };
  /** How far the file is stored, as of the last advanced batch. */
  let progress = zeroCounts();
  const errors: UploadLineError[] = [];
  /** Each lane's last transaction, settled or not: the lane's next part starts after it. */
  const lanes: Promise<unknown>[] = Array.from({ length: LANES }, () => Promise.resolve());
  /** The advances of the batches handed over and not yet waited for, oldest first. */
  const inflight: Promise<void>[] = [];
  /** The first failure; no lane starts a transaction after it. */
  let failure: { error: unknown } | undefined;

  /**
   * Per lane, whether its last part was all new. Vendor files fill gaps, so most parts are; once one
   * repeats stored readings (a re-upload), the next ones probably do too, and go straight to the
   * statement that sorts them out.
   */
  const allNew: boolean[] = Array.from({ length: LANES }, () => true);

  /** One lane's part of a batch in its own transaction, after that lane's part of the batch before. */
  const storeLane = (lane: number, readings: Reading[]): Promise<StoredCounts> => {
    const done = (lanes[lane] as Promise<unknown>).then(async () => {
      if (failure) throw failure.error;
      try {
        const counts = await sql.begin(async (tx) => {
          const counts = await ingestScreened(tx, readings, uploadId, options.sentinels, {
            expectNew: allNew[lane],
          });
          await uploads.count(tx, uploadId, counts);
          return counts;
        });
        allNew[lane] = counts.inserted === readings.length;
        // Counted as soon as it commits, so the report equals what is stored even if the batch fails.
        stored.inserted += counts.inserted;
        stored.duplicates += counts.duplicates;
        stored.conflicts += counts.conflicts;
        stored.setAside += counts.setAside;
        return counts;
      } catch (error) {
        failure ??= { error };
        throw error;
      }
    });
    lanes[lane] = done.catch(() => undefined);
    return done;
  };

  /** Hands the batch's parts to their lanes and returns its advance, which follows the one before. */
  const commit = (batch: Batch, previous: Promise<void>): Promise<void> => {
    const started = performance.now();
    const parts: Reading[][] = Array.from({ length: LANES }, () => []);
    for (const reading of batch.readings) parts[laneOf(reading.equipmentId)]!.push(reading);
    const committing = parts.flatMap((readings, lane) =>
      readings.length > 0 ? [storeLane(lane, readings)] : [],
    );
    return previous.then(async () => {
      const outcome: BatchOutcome = {
        inserted: 0,
        duplicates: 0,
        conflicts: 0,
        setAside: 0,
        rejected: batch.rejected,
      };
      for (const counts of await Promise.all(committing)) {
        outcome.inserted += counts.inserted;
        outcome.duplicates += counts.duplicates;
        outcome.conflicts += counts.conflicts;
        outcome.setAside += counts.setAside;
      }
      const next: UploadCounts = {
        ...progress,
        bytes: batch.bytesRead,
        rows: progress.rows + batch.rows,
        rejected: progress.rejected + batch.rejected,
        errorsTotal: progress.errorsTotal + batch.errorsTotal,
        committedLine: batch.lastLine,
        committedBytes: batch.lastByte,
      };
      await uploads.advance(uploadId, {
        counts: next,
        newErrors: batch.errors,
        extraColumns: options.extraColumns(),
      });
      progress = next;
      errors.push(...batch.errors);
      options.onBatch?.(outcome, (performance.now() - started) / 1000);
    });
  };

  /** The last batch's advance, which follows every one before it. */
  let last: Promise<void> = Promise.resolve();
  return {
    async submit(batch) {
      if (batch.rows === 0) return;
      if (inflight.length >= BATCHES_IN_FLIGHT) await inflight.shift();
      last = commit(batch, last);
      last.catch(() => undefined); // seen by a later submit() or by drain()
      inflight.push(last);
    },
    async drain() {
      // Every lane settles first, even after a failure, so that `committed` is final when this settles.
      await Promise.all(lanes);
      inflight.length = 0;
      await last;
    },
    get committed() {
      return { ...progress, ...stored };
    },
    errors,
  };
}
