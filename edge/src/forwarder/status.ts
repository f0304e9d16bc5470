/**
 * What the forwarder reports: the shape of its part of the edge's `/v1/status`, and the hooks metrics
 * use to count what it does.
 */
import type { IngestAnswer } from "@plantlink/shared";
import type { Batch } from "./batch.ts";
import type { LaneState } from "./lanes.ts";

/**
 * - `idle`: nothing unsynced to send; `sending`: batches in flight;
 * - `retrying`: the last attempt failed, backing off, one batch probing at a time;
 * - `stopped`: central refused the token (401/403) — nothing is sent until the edge is reconfigured;
 * - `disabled`: no PLANTLINK_CENTRAL_URL / TOKEN; `closed`: shutting down.
 */
export type ForwarderState = "idle" | "sending" | "retrying" | "stopped" | "disabled" | "closed";

export interface ForwarderTotals {
  /** Batches central acknowledged with a 2xx. */
  batches: number;
  /** Readings marked synced (including those central rejected and the edge quarantined). */
  readings: number;
  inserted: number;
  duplicates: number;
  conflicts: number;
  rejected: number;
  /** Compressed request bodies, retries included. */
  bytesSent: number;
  /** Attempts that did not end in a 2xx. */
  failures: number;
  /** 413s answered by halving a batch. */
  splits: number;
}

export interface ForwarderStatus {
  state: ForwarderState;
  centralUrl: string | undefined;
  lastSyncAt: number | undefined;
  lastError: { code: string; message: string; at: number } | undefined;
  /** Set when central refused the token; cleared only by a restart with a new configuration. */
  stopped: { code: "unauthorized" | "forbidden"; detail: string; at: number } | undefined;
  retry: { attempts: number; nextAttemptAt: number } | undefined;
  /** Batches out: sent and unanswered, plus one ready and waiting for a connection. */
  inFlight: number;
  maxInFlight: number;
  /** Readings synced per second over the last 10 s. */
  drainRate: number;
  lanes: LaneState;
  limits: { maxReadings: number; maxBytes: number };
  totals: ForwarderTotals;
  /** HTTP bytes on the connections to central, this run. */
  wire: { sent: number; received: number };
}

/** Called by the forwarder as things happen; the metrics implement it. */
export interface ForwarderObserver {
  synced(batch: Batch, answer: IngestAnswer, seconds: number): void;
  /** A non-2xx ending of an attempt, by code (`connection_refused`, `http_503`, `auth`, `split`…). */
  outcome(code: string): void;
  bytesSent(bytes: number): void;
  inFlight(count: number): void;
}

export function emptyTotals(): ForwarderTotals {
  return {
    batches: 0,
    readings: 0,
    inserted: 0,
    duplicates: 0,
    conflicts: 0,
    rejected: 0,
    bytesSent: 0,
    failures: 0,
    splits: 0,
  };
}

/** The status of an edge configured without a central to forward to. */
export function disabledStatus(): ForwarderStatus {
  return {
    state: "disabled",
    centralUrl: undefined,
    lastSyncAt: undefined,
    lastError: undefined,
    stopped: undefined,
    retry: undefined,
    inFlight: 0,
    maxInFlight: 0,
    drainRate: 0,
    lanes: { backlogCursor: 0, live: undefined },
    limits: { maxReadings: 0, maxBytes: 0 },
    wire: { sent: 0, received: 0 },
    totals: emptyTotals(),
  };
}

/** The forwarder's part of GET /v1/status: JSON-friendly, times in UTC ISO-8601. */
export interface SyncStatus {
  state: ForwarderState;
  central: string | null;
  lastSuccessfulSync: string | null;
  lastError: { code: string; message: string; at: string } | null;
  /** Set while forwarding is stopped because central refused the edge token. */
  stopped: { code: string; detail: string; at: string } | null;
  retry: { attempts: number; nextAttemptAt: string } | null;
  inFlight: number;
  maxInFlight: number;
  drainRatePerSecond: number;
  /** The live lane, open while a backlog drains: readings above `fromSeq` travel in it. */
  liveLane: { fromSeq: number; sentUpToSeq: number } | null;
  totals: ForwarderTotals;
  wire: { sent: number; received: number };
}

const iso = (ms: number | undefined) => (ms === undefined ? null : new Date(ms).toISOString());

export function describeSync(status: ForwarderStatus): SyncStatus {
  const live = status.lanes.live;
  return {
    state: status.state,
    central: status.centralUrl ?? null,
    lastSuccessfulSync: iso(status.lastSyncAt),
    lastError: status.lastError
      ? { ...status.lastError, at: new Date(status.lastError.at).toISOString() }
      : null,
    stopped: status.stopped ? { ...status.stopped, at: new Date(status.stopped.at).toISOString() } : null,
    retry: status.retry
      ? { attempts: status.retry.attempts, nextAttemptAt: new Date(status.retry.nextAttemptAt).toISOString() }
      : null,
    inFlight: status.inFlight,
    maxInFlight: status.maxInFlight,
    drainRatePerSecond: Math.round(status.drainRate),
    liveLane: live ? { fromSeq: live.from, sentUpToSeq: live.cursor } : null,
    totals: status.totals,
    wire: status.wire,
  };
}

/** Lines for `pnpm edge status`: what a person needs to see about sync at a glance. */
export function describeSyncLines(sync: SyncStatus): string[] {
  if (sync.state === "disabled") return ["  forwarding          OFF (PLANTLINK_CENTRAL_URL not set)"];
  const lines = [`  forwarding          ${sync.state.toUpperCase()} to ${sync.central}`];
  if (sync.stopped) {
    lines.push(
      `  STOPPED             central refused the edge token (${sync.stopped.code}) at ${sync.stopped.at}:`,
    );
    lines.push(
      `                      ${sync.stopped.detail}; set a valid PLANTLINK_CENTRAL_TOKEN and restart`,
    );
  }
  if (sync.retry)
    lines.push(`  retrying            attempt ${sync.retry.attempts}, next at ${sync.retry.nextAttemptAt}`);
  lines.push(`  batches in flight   ${sync.inFlight} of ${sync.maxInFlight}`);
  lines.push(`  drain rate          ${sync.drainRatePerSecond} readings/s`);
  if (sync.liveLane)
    lines.push(`  live lane           open above seq ${sync.liveLane.fromSeq} (backlog draining)`);
  lines.push(
    `  synced this run     ${sync.totals.readings} readings in ${sync.totals.batches} batches ` +
      `(${sync.totals.inserted} new, ${sync.totals.duplicates} duplicates, ${sync.totals.rejected} rejected)`,
  );
  return lines;
}
