/**
 * The edge's typed errors. Each has a stable `code` (for metrics, logs and problem responses) and a
 * message that tells a plant engineer what to do about it.
 */

function formatBytes(bytes: number): string {
  if (bytes >= 1e9) return `${(bytes / 1e9).toFixed(2)} GB`;
  if (bytes >= 1e6) return `${(bytes / 1e6).toFixed(1)} MB`;
  if (bytes >= 1e3) return `${(bytes / 1e3).toFixed(1)} kB`;
  return `${bytes} B`;
}

/** The buffer reached PLANTLINK_BUFFER_MAX_BYTES: new readings are refused, none are deleted. */
export class BufferFullError extends Error {
  readonly code = "buffer_full";
  constructor(
    readonly usedBytes: number,
    readonly maxBytes: number,
  ) {
    super(
      `the buffer holds ${formatBytes(usedBytes)}, at its cap of ${formatBytes(maxBytes)} (PLANTLINK_BUFFER_MAX_BYTES); new readings are refused until synced readings are pruned — check the forwarder's connection to central, or raise the cap`,
    );
    this.name = "BufferFullError";
  }
}

/** Free disk space fell below PLANTLINK_DISK_RESERVE_BYTES: refuse before SQLite meets ENOSPC. */
export class DiskReserveError extends Error {
  readonly code = "disk_reserve";
  constructor(
    readonly dir: string,
    readonly freeBytes: number,
    readonly reserveBytes: number,
  ) {
    super(
      `only ${formatBytes(freeBytes)} free on the filesystem of ${dir}, below the reserve of ${formatBytes(reserveBytes)} (PLANTLINK_DISK_RESERVE_BYTES); new readings are refused — free disk space`,
    );
    this.name = "DiskReserveError";
  }
}

/** The edge is shutting down: nothing new is accepted, so nothing new needs an acknowledgement. */
export class ShuttingDownError extends Error {
  readonly code = "shutting_down";
  constructor() {
    super("the edge is shutting down; retry against the restarted edge");
    this.name = "ShuttingDownError";
  }
}

/** The transaction holding a group of readings failed: none of them were acknowledged. */
export class CommitFailedError extends Error {
  readonly code = "commit_failed";
  constructor(cause: unknown) {
    super(
      `the buffer could not commit readings (${cause instanceof Error ? cause.message : String(cause)}); nothing was acknowledged — check the data directory's disk`,
      { cause },
    );
    this.name = "CommitFailedError";
  }
}

/** A reason the edge refuses new readings right now. */
export type Refusal = BufferFullError | DiskReserveError | ShuttingDownError;

/** A device published where it may not: the publish is refused and its connection closed. */
export class TopicNotAllowedError extends Error {
  readonly code = "topic_not_allowed";
  constructor(
    readonly clientName: string,
    readonly topic: string,
  ) {
    super(`${clientName} may not publish to "${topic}"; a device publishes only to readings/<its device id>`);
    this.name = "TopicNotAllowedError";
  }
}

/** A registry operation named something that does not exist, or already exists. */
export class RegistryError extends Error {
  constructor(
    readonly code: "device_exists" | "device_unknown" | "gateway_exists" | "gateway_unknown" | "invalid_name",
    message: string,
  ) {
    super(message);
    this.name = "RegistryError";
  }
}

/** The buffer file was written by a newer edge, or is not a plantlink buffer. */
export class BufferSchemaError extends Error {
  readonly code = "buffer_schema";
  constructor(message: string) {
    super(message);
    this.name = "BufferSchemaError";
  }
}

export { formatBytes };
