/**
 * Readings central refused inside a 2xx (e.g. a timestamp beyond central's clock skew) become
 * quarantine entries with central's reason, so they are visible and replayable at the edge rather
 * than retried forever or dropped.
 */
import type { IngestAnswer } from "@plantlink/shared";
import type { QuarantineEntry } from "../buffer/quarantine.ts";
import type { Batch } from "./batch.ts";

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
    const item = batch.items[index];
    if (item === undefined) continue;
    const raw = Buffer.from(item, "utf8");
    entries.push({
      source: "central",
      origin: `${centralUrl} batch ${batch.id}`,
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
