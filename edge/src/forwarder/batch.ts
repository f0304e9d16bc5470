/**
 * One batch on its way to central: which buffered readings it carries, its id, and its wire body.
 *
 * The id is derived from the readings, never from a clock or a counter, so a batch rebuilt after a
 * crash from the same unsynced readings is the same batch to central (it answers the stored answer
 * and stores nothing). Batches never cross an aligned seq block (`blockSize`) for the same reason: the
 * cut points do not depend on where the previous run happened to stop.
 */
import { createHash } from "node:crypto";
import { promisify } from "node:util";
import { gzip as gzipCallback } from "node:zlib";
import { formatReading } from "@plantlink/shared";
import type { BufferedReading } from "../buffer/buffer.ts";

const gzip = promisify(gzipCallback);

export type Lane = "backlog" | "live";

export interface Batch {
  id: string;
  lane: Lane;
  readings: BufferedReading[];
  /** Each reading's wire JSON, computed once: a retry or a split re-encodes without re-formatting. */
  items: string[];
  /** Uncompressed bytes of the readings' JSON. */
  itemBytes: number;
  /** Failed attempts so far. */
  attempts: number;
}

export interface BatchLimits {
  maxReadings: number;
  /** Uncompressed JSON bytes of the readings; a reading alone over it still travels, alone. */
  maxBytes: number;
}

/** What the edge reports about itself with each batch, for central's GET /v1/edges. */
export interface BatchMeta {
  edgeId: string;
  backlog: number;
  oldestUnsyncedMs: number;
}

/**
 * `${firstSeq}-${lastSeq}-${count}-${hash}`: readable in logs, unique per seq set, and the hash also
 * covers the content, so a buffer recreated from scratch (seqs restart at 1) never reuses an id that
 * central already answered for different readings — which would make central drop them as replays.
 */
export function batchId(readings: readonly BufferedReading[], items: readonly string[]): string {
  const hash = createHash("sha256");
  for (let i = 0; i < readings.length; i++) {
    hash.update(`${readings[i]?.seq}\u0000${items[i]}\u0000`);
  }
  const first = readings[0]?.seq ?? 0;
  const last = readings[readings.length - 1]?.seq ?? 0;
  return `${first}-${last}-${readings.length}-${hash.digest("base64url").slice(0, 22)}`;
}

/**
 * Takes the longest prefix of `readings` (in seq order) that fits the limits and stays inside the
 * aligned block of its first seq, as a batch. Returns undefined for no readings.
 */
export function takeBatch(
  readings: readonly BufferedReading[],
  lane: Lane,
  limits: BatchLimits,
  blockSize: number,
): Batch | undefined {
  const first = readings[0];
  if (!first) return undefined;
  const blockEnd = (Math.floor((first.seq - 1) / blockSize) + 1) * blockSize;
  const taken: BufferedReading[] = [];
  const items: string[] = [];
  let bytes = 0;
  for (const reading of readings) {
    if (taken.length >= limits.maxReadings || reading.seq > blockEnd) break;
    const item = JSON.stringify(formatReading(reading));
    // +1 for the comma; the first reading always goes, or an oversized one would block the lane.
    if (taken.length > 0 && bytes + item.length + 1 > limits.maxBytes) break;
    taken.push(reading);
    items.push(item);
    bytes += item.length + 1;
  }
  return { id: batchId(taken, items), lane, readings: taken, items, itemBytes: bytes, attempts: 0 };
}

/** Halves a batch central refused as too large (413); each half is a batch with its own id. */
export function splitBatch(batch: Batch): [Batch, Batch] | undefined {
  if (batch.readings.length < 2) return undefined;
  const mid = Math.ceil(batch.readings.length / 2);
  const part = (from: number, to: number): Batch => {
    const readings = batch.readings.slice(from, to);
    const items = batch.items.slice(from, to);
    const itemBytes = items.reduce((n, item) => n + item.length + 1, 0);
    return { id: batchId(readings, items), lane: batch.lane, readings, items, itemBytes, attempts: 0 };
  };
  return [part(0, mid), part(mid, batch.readings.length)];
}

/** The request body: the EdgeBatch JSON of @plantlink/shared, gzip-compressed. */
export async function encodeBatch(batch: Batch, meta: BatchMeta, level: number): Promise<Buffer> {
  const head = JSON.stringify({
    edgeId: meta.edgeId,
    batchId: batch.id,
    backlog: meta.backlog,
    oldestUnsyncedMs: meta.oldestUnsyncedMs,
  });
  // Spliced by hand so the readings' JSON (already formatted) is not parsed or stringified again.
  const json = `${head.slice(0, -1)},"readings":[${batch.items.join(",")}]}`;
  return gzip(json, { level });
}
