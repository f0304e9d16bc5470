/**
 * The edge's status (GET /v1/status, `pnpm edge status`): what a person checks first when asking
 * "is this site's data getting through?". Built from the buffer file alone when the edge is down.
 */
import { formatTimestamp } from "@plantlink/shared";
import type { BufferStats } from "../buffer/buffer.ts";
import type { SyncStatus } from "../forwarder/status.ts";

export interface EdgeStatus {
  edgeId: string;
  /** True when answered by the running edge; false when read from the buffer file by the CLI. */
  running: boolean;
  startedAt: string | null;
  /** Readings not yet synced to central. */
  buffered: number;
  /** Readings in the buffer file, synced or not (synced ones stay until pruned). */
  bufferedRows: number;
  oldestUnsyncedAt: string | null;
  oldestUnsyncedAgeMs: number | null;
  quarantined: number;
  lastSuccessfulSync: string | null;
  lastError: { message: string; at: string } | null;
  bufferBytes: number;
  bufferMaxBytes: number;
  diskFreeBytes: number;
  diskReserveBytes: number;
  /** Why new readings are refused right now, or null when they are accepted. */
  refusing: "buffer_full" | "disk_reserve" | null;
  connectedDevices: number | null;
  eventLoopDelayMs: { p50: number; p99: number; max: number } | null;
  /** The forwarder: state, retry, batches in flight, drain rate; null when read from the file. */
  sync: SyncStatus | null;
}

export interface StatusInput {
  edgeId: string;
  running: boolean;
  startedAt: number | undefined;
  now: number;
  stats: BufferStats;
  quarantined: number;
  capacity: {
    maxBytes: number;
    freeDiskBytes: number;
    diskReserveBytes: number;
    refusing: "buffer_full" | "disk_reserve" | undefined;
  };
  connectedDevices: number | undefined;
  eventLoopDelayMs: { p50: number; p99: number; max: number } | undefined;
  sync?: SyncStatus | undefined;
}

const time = (ms: number | undefined) => (ms === undefined ? null : formatTimestamp(ms));

export function describeStatus(input: StatusInput): EdgeStatus {
  const { stats, capacity } = input;
  const oldest = stats.oldestUnsynced;
  return {
    edgeId: input.edgeId,
    running: input.running,
    startedAt: time(input.startedAt),
    buffered: stats.unsynced,
    bufferedRows: stats.rows,
    oldestUnsyncedAt: time(oldest?.receivedAt),
    oldestUnsyncedAgeMs: oldest ? Math.max(0, input.now - oldest.receivedAt) : null,
    quarantined: input.quarantined,
    lastSuccessfulSync: time(stats.lastSyncAt),
    lastError: stats.lastError
      ? { message: stats.lastError.message, at: formatTimestamp(stats.lastError.at) }
      : null,
    bufferBytes: stats.usedBytes,
    bufferMaxBytes: capacity.maxBytes,
    diskFreeBytes: capacity.freeDiskBytes,
    diskReserveBytes: capacity.diskReserveBytes,
    refusing: capacity.refusing ?? null,
    connectedDevices: input.connectedDevices ?? null,
    eventLoopDelayMs: input.eventLoopDelayMs ?? null,
    sync: input.sync ?? null,
  };
}
