/**
 * What a transaction changed, as the answer cache needs to know it: one `ingest_marks` row with the
 * transaction's id and the span of reading timestamps it stored (central/src/answers/answer-cache.ts).
 * Written inside the writer's transaction, so the mark commits (or rolls back) with the rows it names,
 * and a cached answer is never trusted past a change it could not see.
 */
import type { TransactionSql } from "../db/connect.ts";

/** Marks `[lo, hi]` (epoch ms, inclusive) as changed by the current transaction. */
export async function markChanged(tx: TransactionSql, lo: number, hi: number): Promise<void> {
  // A plain insert into a table without unique keys: it never waits for another writer.
  await tx`insert into ingest_marks (lo, hi) values (${new Date(lo)}, ${new Date(hi)})`;
}

/**
 * Marks every instant as changed: for writes that change answers without storing readings (a
 * sensor's limits decide its status in every window).
 */
export async function markEverything(tx: TransactionSql): Promise<void> {
  await tx`insert into ingest_marks (lo, hi) values ('-infinity', 'infinity')`;
}
