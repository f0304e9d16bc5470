/**
 * The quarantine: payloads the edge acknowledged but could not accept as readings. Kept with their
 * raw bytes and reason so a person can see, export and — after fixing the cause — replay them.
 */
import type { Reading } from "@plantlink/shared";
import type { Db } from "./database.ts";

export type QuarantineReasonCode =
  | "invalid_json"
  | "invalid_reading"
  | "topic_mismatch"
  | "oversize"
  /** Accepted here, refused by central inside a 2xx answer (the forwarder quarantines it). */
  | "central_rejected";

/** Where a quarantined payload came from: a device (MQTT), a gateway (HTTP), or central's answer. */
export type QuarantineSource = "mqtt" | "http" | "central";

export interface QuarantineEntry {
  source: QuarantineSource;
  origin: string;
  client: string | undefined;
  itemIndex: number | undefined;
  reasonCode: QuarantineReasonCode;
  reason: string;
  raw: Uint8Array;
  size: number;
}

export interface QuarantinedPayload extends QuarantineEntry {
  id: number;
  receivedAt: number;
}

/** What a replay decides for one quarantined payload: the readings it now yields, or why not. */
export type ReplayVerdict =
  | { ok: true; readings: Reading[] }
  | { ok: false; reasonCode: QuarantineReasonCode; reason: string };

export interface Quarantine {
  /** Inserts entries; the caller owns the transaction (the group commit's). */
  add(entries: readonly QuarantineEntry[], receivedAt: number): void;
  count(): number;
  countByReason(): Map<QuarantineReasonCode, number>;
  /** Oldest first, `limit` at a time after `afterId`, so an export never holds the table in memory. */
  page(afterId: number, limit: number): QuarantinedPayload[];
  /**
   * Re-checks each payload with `verdict`; those that now pass become readings (via `append`, in the
   * same transaction as their removal), the others stay with their reason refreshed.
   */
  replay(
    verdict: (entry: QuarantinedPayload) => ReplayVerdict,
    append: (readings: readonly Reading[]) => void,
  ): { moved: number; readings: number; kept: number };
}

interface Row {
  id: number;
  received_at: number;
  source: string;
  origin: string;
  client: string | null;
  item_index: number | null;
  reason_code: string;
  reason: string;
  raw: Buffer;
  size: number;
}

const toPayload = (row: Row): QuarantinedPayload => ({
  id: row.id,
  receivedAt: row.received_at,
  source: row.source as QuarantineSource,
  origin: row.origin,
  client: row.client ?? undefined,
  itemIndex: row.item_index ?? undefined,
  reasonCode: row.reason_code as QuarantineReasonCode,
  reason: row.reason,
  raw: row.raw,
  size: row.size,
});

export function createQuarantine(db: Db): Quarantine {
  const insert = db.prepare(
    `INSERT INTO quarantine (received_at, source, origin, client, item_index, reason_code, reason, raw, size)
     VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
  );
  const countAll = db.prepare("SELECT count(*) FROM quarantine").pluck();
  const countReasons = db.prepare("SELECT reason_code, count(*) AS n FROM quarantine GROUP BY reason_code");
  const pageRows = db.prepare("SELECT * FROM quarantine WHERE id > ? ORDER BY id LIMIT ?");
  const remove = db.prepare("DELETE FROM quarantine WHERE id = ?");
  const refresh = db.prepare("UPDATE quarantine SET reason_code = ?, reason = ? WHERE id = ?");

  const quarantine: Quarantine = {
    add(entries, receivedAt) {
      for (const e of entries) {
        insert.run(
          receivedAt,
          e.source,
          e.origin,
          e.client ?? null,
          e.itemIndex ?? null,
          e.reasonCode,
          e.reason,
          e.raw,
          e.size,
        );
      }
    },
    count: () => countAll.get() as number,
    countByReason() {
      const rows = countReasons.all() as { reason_code: QuarantineReasonCode; n: number }[];
      return new Map(rows.map((r) => [r.reason_code, r.n]));
    },
    page: (afterId, limit) => (pageRows.all(afterId, limit) as Row[]).map(toPayload),
    replay(verdict, append) {
      let moved = 0;
      let readings = 0;
      let kept = 0;
      let afterId = 0;
      // One short transaction per page keeps the running edge's commits from waiting long on the lock.
      for (;;) {
        const page = quarantine.page(afterId, 500);
        if (page.length === 0) break;
        db.transaction(() => {
          for (const entry of page) {
            const result = verdict(entry);
            if (result.ok) {
              append(result.readings);
              remove.run(entry.id);
              moved += 1;
              readings += result.readings.length;
            } else {
              refresh.run(result.reasonCode, result.reason, entry.id);
              kept += 1;
            }
          }
        }).immediate();
        afterId = page[page.length - 1]?.id ?? afterId;
      }
      return { moved, readings, kept };
    },
  };
  return quarantine;
}
