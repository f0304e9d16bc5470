/**
 * What central's 2xx does to the buffer, in one SQLite transaction: the readings central rejected (e.g.
 * a timestamp beyond its clock skew) go to the quarantine with central's reason — visible and
 * replayable here instead of retried forever or dropped — and the whole batch is marked synced. One
 * transaction, so a crash leaves either both or neither, and a resend finds the same state.
 */
import type { IngestAnswer } from "@plantlink/shared";
import type { ReadingBuffer } from "../buffer/buffer.ts";
import type { Db } from "../buffer/database.ts";
import type { Quarantine, QuarantineEntry } from "../buffer/quarantine.ts";
import { type Batch, batchLabel } from "./batch.ts";

/**
 * Why an answer cannot be taken as this batch's, or undefined when it can. Marking a batch synced on an
 * answer that does not add up could lose readings silently: a rejected reading central did not name
 * would be neither at central nor in the quarantine.
 */
export function answerProblem(batch: Batch, answer: IngestAnswer): string | undefined {
  const n = batch.readings.length;
  if (answer.received !== n) {
    return `central's answer counts ${answer.received} readings for batch ${batchLabel(batch)} of ${n}`;
  }
  const sum = answer.inserted + answer.duplicates + answer.conflicts + answer.rejected;
  if (sum !== n) {
    return `central's answer for batch ${batchLabel(batch)} does not add up: inserted ${answer.inserted} + duplicates ${answer.duplicates} + conflicts ${answer.conflicts} + rejected ${answer.rejected} ≠ ${n}`;
  }
  const named = new Set(answer.errors.map((e) => e.index).filter((i) => i !== undefined && i >= 0 && i < n));
  if (named.size !== answer.rejected) {
    return `central rejected ${answer.rejected} readings of batch ${batchLabel(batch)} but named ${named.size} of them`;
  }
  return undefined;
}

export function rejectionEntries(batch: Batch, answer: IngestAnswer, centralUrl: string): QuarantineEntry[] {
  const reasons = new Map<number, string[]>();
  for (const error of answer.errors) {
    if (error.index === undefined) continue;
    const list = reasons.get(error.index) ?? [];
    list.push(`${error.field}: ${error.reason}`);
    reasons.set(error.index, list);
  }
  const entries: QuarantineEntry[] = [];
  for (const [index, list] of [...reasons].sort((a, b) => a[0] - b[0])) {
    const item = batch.wire?.items[index];
    if (item === undefined) continue;
    const raw = Buffer.from(item, "utf8");
    entries.push({
      source: "central",
      origin: `${centralUrl} batch ${batchLabel(batch)}`,
      client: undefined,
      itemIndex: index,
      reasonCode: "central_rejected",
      reason: `central rejected it: ${list.join("; ")}`,
      raw,
      size: raw.byteLength,
    });
  }
  return entries;
}

/** Quarantines the rejected readings and marks the batch synced; returns how many were quarantined. */
export function acknowledgeBatch(
  parts: { db: Db; buffer: ReadingBuffer; quarantine: Quarantine },
  batch: Batch,
  answer: IngestAnswer,
  centralUrl: string,
  at: number,
): number {
  const entries = rejectionEntries(batch, answer, centralUrl);
  parts.db
    .transaction(() => {
      if (entries.length > 0) parts.quarantine.add(entries, at);
      parts.buffer.markSynced(
        batch.readings.map((r) => r.seq),
        at,
      );
    })
    .immediate();
  return entries.length;
}
