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
  lane: Lane;
  readings: BufferedReading[];
  /** Uncompressed bytes of the readings' JSON (with the commas), computed without formatting them. */
  itemBytes: number;
  /** Failed attempts so far. */
  attempts: number;
  /**
   * Set by prepareBatch before the first send and kept for retries: the id and each reading's wire
   * JSON. Not at selection time, which runs on the event loop between group commits: formatting
   * 20,000 readings there would stall MQTT acknowledgements for ~100 ms on a loaded machine.
   */
  wire?: { id: string; items: string[] };
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

/** A reading's wire JSON: the Reading of @plantlink/shared, formatted once per batch. */
const formatItem = (reading: BufferedReading) => JSON.stringify(formatReading(reading));

/**
 * The length of formatItem(reading) without formatting it: `{"equipmentId":"…","value":…,"timestamp":
 * "YYYY-MM-DDTHH:MM:SS.sssZ"}` is 66 characters around the id and the value, ids need no escaping (their
 * alphabet is A-Z a-z 0-9 . _ : -) and timestamps are always 24 characters (years 0000-9999).
 */
const itemLength = (reading: BufferedReading) =>
  66 + reading.equipmentId.length + String(reading.centi / 100).length;

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

/** The batch's id once prepared; before, its seq range (for log lines only). */
export function batchLabel(batch: Batch): string {
  return batch.wire?.id ?? `${batch.readings[0]?.seq}-${batch.readings[batch.readings.length - 1]?.seq}`;
}

/**
 * Formats the readings and derives the id, a chunk at a time with a turn of the event loop between
 * chunks, so group commits and acknowledgements keep flowing while a large batch is prepared.
 */
export async function prepareBatch(batch: Batch, chunk = 2000): Promise<{ id: string; items: string[] }> {
  if (batch.wire) return batch.wire;
  const items: string[] = [];
  for (let i = 0; i < batch.readings.length; i += chunk) {
    if (i > 0) await new Promise((resolve) => setImmediate(resolve));
    for (const reading of batch.readings.slice(i, i + chunk)) items.push(formatItem(reading));
  }
  batch.wire = { id: batchId(batch.readings, items), items };
  return batch.wire;
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
  let bytes = 0;
  for (const reading of readings) {
    if (taken.length >= limits.maxReadings || reading.seq > blockEnd) break;
    const length = itemLength(reading) + 1; // +1 for the comma
    // The first reading always goes, or an oversized one would block the lane.
    if (taken.length > 0 && bytes + length > limits.maxBytes) break;
    taken.push(reading);
    bytes += length;
  }
  return { lane, readings: taken, itemBytes: bytes, attempts: 0 };
}

/** Halves a batch central refused as too large (413); each half is a batch with its own id. */
export function splitBatch(batch: Batch): [Batch, Batch] | undefined {
  if (batch.readings.length < 2) return undefined;
  const mid = Math.ceil(batch.readings.length / 2);
  const part = (readings: BufferedReading[]): Batch => ({
    lane: batch.lane,
    readings,
    itemBytes: readings.reduce((n, r) => n + itemLength(r) + 1, 0),
    attempts: 0,
  });
  return [part(batch.readings.slice(0, mid)), part(batch.readings.slice(mid))];
}

/** The request body: the EdgeBatch JSON of @plantlink/shared, gzip-compressed. */
export async function encodeBatch(batch: Batch, meta: BatchMeta, level: number): Promise<Buffer> {
  const { id, items } = await prepareBatch(batch);
  const head = JSON.stringify({
    edgeId: meta.edgeId,
    batchId: id,
    backlog: meta.backlog,
    oldestUnsyncedMs: meta.oldestUnsyncedMs,
  });
  // Spliced by hand so the readings' JSON (already formatted) is not parsed or stringified again.
  const json = `${head.slice(0, -1)},"readings":[${items.join(",")}]}`;
  return gzip(json, { level });
}
