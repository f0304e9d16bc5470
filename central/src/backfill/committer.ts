/**
 * Commits an upload's batches: each batch's rows (through the one ingest path) and the upload's
 * progress in one transaction, in file order, one transaction at a time while the caller fills the
 * next batch. So `committedLine` never runs ahead of a batch that is not stored.
 *
 * Why not several transactions at once, since the database is the slow part: a later batch's
 * transaction takes row locks an earlier one needs (the same sensors' rollup and equipment rows), and
 * if it then had to wait for the earlier one to commit — to keep commits in file order — the two would
 * wait on each other, one inside PostgreSQL and one here, where no deadlock detector sees it. Two at a
 * time also measured no faster on the 2-core build machine (docs/performance.md, "Backfill").
 */
import type { Reading } from "@plantlink/shared";
import type { Sql } from "../db/connect.ts";
import { ingestInTransaction } from "../ingest/ingest.ts";
import { type UploadCounts, type UploadLineError, zeroCounts } from "./report.ts";
import type { UploadStore } from "./uploads.ts";

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

  const commit = async (batch: Batch) => {
    const started = performance.now();
    let next = committed;
    let outcome = { inserted: 0, duplicates: 0, conflicts: 0 };
    await sql.begin(async (tx) => {
      outcome = await ingestInTransaction(tx, batch.readings, uploadId);
      next = {
        bytes: batch.bytesRead,
        rows: committed.rows + batch.rows,
        inserted: committed.inserted + outcome.inserted,
        duplicates: committed.duplicates + outcome.duplicates,
        conflicts: committed.conflicts + outcome.conflicts,
        rejected: committed.rejected + batch.rejected,
        errorsTotal: committed.errorsTotal + batch.errorsTotal,
        committedLine: batch.lastLine,
        committedBytes: batch.lastByte,
      };
      await uploads.advance(tx, uploadId, {
        counts: next,
        newErrors: batch.errors,
        extraColumns: options.extraColumns(),
      });
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
