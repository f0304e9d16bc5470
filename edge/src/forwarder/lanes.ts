/**
 * Which readings go next: the backlog lane, oldest first, and — while a backlog is too large to go in
 * one round — a live lane for what arrives now, so central's "last value" stays current during a
 * catch-up of hours instead of trailing it.
 *
 * The lanes split the seq line at `live.from`: the backlog lane owns every seq ≤ from, the live lane
 * every seq above. When the backlog lane has sent everything up to `from`, the lanes merge back into
 * one, which continues where the live lane stopped. Cursors only move forward and only over readings
 * handed out as batches, so each unsynced reading is in exactly one batch of this process; after a
 * restart both cursors start again from the buffer's watermark, skipping ranges already synced.
 */
import type { ReadingBuffer } from "../buffer/buffer.ts";
import { type Batch, type BatchLimits, type Lane, takeBatch } from "./batch.ts";

export interface LaneState {
  /** Every unsynced reading up to here has been handed out (or was synced before this run). */
  backlogCursor: number;
  live: { from: number; cursor: number } | undefined;
}

export interface Lanes {
  /**
   * The next batch for `lane`: a batch waiting to be resent first (for the backlog lane, any lane's,
   * oldest first), else new readings. Undefined when there is nothing to send.
   */
  next(lane: Lane, limits: BatchLimits): Batch | undefined;
  /** Batches that failed (or halves of a split one) go back, to be sent again before new readings. */
  requeue(...batches: Batch[]): void;
  /**
   * Opens the live lane when the oldest unsent reading is older than `lagMs` and more is waiting than
   * one round of batches carries: then central is behind, not merely busy with a burst.
   */
  considerLive(roundReadings: number, lagMs: number, now: number): void;
  state(): LaneState;
}

export interface LanesOptions {
  buffer: Pick<ReadingBuffer, "readUnsynced" | "stats">;
  /** Batches never cross a multiple of this, so they are cut the same way after a restart. */
  blockSize: number;
  /** How many of the newest readings the live lane starts with (every sensor's latest, at a site's rate). */
  liveWindow: number;
}

export function createLanes(options: LanesOptions): Lanes {
  const { buffer, blockSize, liveWindow } = options;
  const state: LaneState = { backlogCursor: 0, live: undefined };
  let resend: Batch[] = [];
  const firstSeq = (b: Batch) => b.readings[0]?.seq ?? 0;
  const takeResend = (lane: Lane): Batch | undefined => {
    const index = resend.findIndex((b) => b.lane === lane);
    return index < 0 ? undefined : resend.splice(index, 1)[0];
  };

  const nextBacklog = (limits: BatchLimits): Batch | undefined => {
    const live = state.live;
    let rows = buffer.readUnsynced({ afterSeq: state.backlogCursor, limit: limits.maxReadings });
    if (live) {
      const mine = rows.filter((r) => r.seq <= live.from);
      if (mine.length === 0) {
        // Nothing unsent at or below `from`: the backlog has caught up with where live began.
        state.backlogCursor = Math.max(live.cursor, live.from);
        state.live = undefined;
        rows = buffer.readUnsynced({ afterSeq: state.backlogCursor, limit: limits.maxReadings });
      } else {
        rows = mine;
      }
    }
    const batch = takeBatch(rows, "backlog", limits, blockSize);
    const last = batch?.readings[batch.readings.length - 1];
    if (last) state.backlogCursor = last.seq;
    return batch;
  };

  const nextLive = (limits: BatchLimits): Batch | undefined => {
    const live = state.live;
    if (!live) return undefined;
    const rows = buffer.readUnsynced({ afterSeq: live.cursor, limit: limits.maxReadings });
    const batch = takeBatch(rows, "live", limits, blockSize);
    const last = batch?.readings[batch.readings.length - 1];
    if (last) live.cursor = last.seq;
    return batch;
  };

  return {
    next: (lane, limits) =>
      lane === "live" ? (takeResend("live") ?? nextLive(limits)) : (resend.shift() ?? nextBacklog(limits)),
    requeue(...batches) {
      resend = [...batches, ...resend].sort((a, b) => firstSeq(a) - firstSeq(b));
    },
    considerLive(roundReadings, lagMs, now) {
      if (state.live) return;
      const { lastSeq, watermark, oldestUnsynced } = buffer.stats();
      const cursor = Math.max(state.backlogCursor, watermark);
      // lastSeq − cursor counts synced runs above the cursor too; it only ever overestimates the wait.
      if (lastSeq - cursor <= roundReadings) return;
      if (!oldestUnsynced || now - oldestUnsynced.receivedAt < lagMs) return;
      const from = Math.max(cursor, lastSeq - liveWindow);
      state.live = { from, cursor: from };
    },
    state: () => ({ backlogCursor: state.backlogCursor, live: state.live ? { ...state.live } : undefined }),
  };
}
