/**
 * An edge's batch, ingested exactly once: the edge retries until it gets a 2xx, so the same
 * (edgeId, batchId) may arrive again — even twice at the same time — and must get the first answer
 * back and change nothing.
 */
import type { IngestAnswer, Reading, Rejection } from "@plantlink/shared";
import type { Sql } from "../db/connect.ts";
import { DEFAULT_SENTINELS_CENTI } from "./screen.ts";
import { ingestScreened } from "./set-aside.ts";

export interface EdgeBatchMeta {
  /** Items in the batch as it arrived, valid or not. */
  received: number;
  /** Items central's validation refused; answered inside the 2xx so the edge quarantines them. */
  rejected: number;
  errors: readonly Rejection[];
  /** What the edge reported about itself with the batch. */
  backlog?: number | undefined;
  oldestUnsyncedMs?: number | undefined;
  /** The global sentinel values, in hundredths (ingest/screen.ts); absent: the default, -9999. */
  sentinels?: readonly number[] | undefined;
}

export interface EdgeBatchResult {
  answer: IngestAnswer;
  /** True when this batch had been ingested before and `answer` is the stored first answer. */
  replayed: boolean;
}

/**
 * Claims the batch by inserting its edge_batches row first, in the same transaction as the readings:
 * a concurrent copy of the batch blocks on that row until this transaction ends, then finds it taken
 * and returns the answer committed with it. If this transaction fails, the claim goes with it and the
 * copy (or the edge's next retry) ingests the batch instead.
 */
export async function ingestEdgeBatch(
  sql: Sql,
  edgeId: string,
  batchId: string,
  readings: readonly Reading[],
  meta: EdgeBatchMeta,
): Promise<EdgeBatchResult> {
  return sql.begin(async (tx) => {
    const claimed = await tx`
      insert into edge_batches (edge_id, batch_id) values (${edgeId}, ${batchId})
      on conflict do nothing
      returning 1`;
    if (claimed.length === 0) {
      const [stored] = await tx<{ answer: IngestAnswer | null }[]>`
        select answer from edge_batches where edge_id = ${edgeId} and batch_id = ${batchId}`;
      if (!stored?.answer) throw new Error(`edge batch ${edgeId}/${batchId} is recorded without its answer`);
      return { answer: stored.answer, replayed: true };
    }

    const result = await ingestScreened(tx, readings, edgeId, meta.sentinels ?? DEFAULT_SENTINELS_CENTI);
    const answer: IngestAnswer = {
      received: meta.received,
      ...result,
      rejected: meta.rejected,
      errors: [...meta.errors],
    };
    // One statement for the answer and the edge's counters (GET /v1/edges reads them instead of
    // counting readings). The answer is sent as text and cast: a JSON parameter would be encoded
    // differently depending on whether drizzle has rewritten this client's serializers.
    await tx`
      with answered as (
        update edge_batches set answer = ${JSON.stringify(answer)}::text::jsonb
        where edge_id = ${edgeId} and batch_id = ${batchId}
      ),
      edge as (
        insert into edges (edge_id, last_sync_at, backlog, oldest_unsynced_ms, readings_total)
        values (${edgeId}, now(), ${meta.backlog ?? null}, ${meta.oldestUnsyncedMs ?? null}, ${result.inserted})
        on conflict (edge_id) do update set
          last_sync_at = excluded.last_sync_at,
          backlog = coalesce(excluded.backlog, edges.backlog),
          oldest_unsynced_ms = coalesce(excluded.oldest_unsynced_ms, edges.oldest_unsynced_ms),
          readings_total = edges.readings_total + excluded.readings_total
      )
      insert into edge_days (edge_id, day, readings)
      values (${edgeId}, (now() at time zone 'UTC')::date, ${result.inserted})
      on conflict (edge_id, day) do update set readings = edge_days.readings + excluded.readings`;
    return { answer, replayed: false };
  });
}
