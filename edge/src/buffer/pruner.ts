/**
 * Pruning: synced readings leave the buffer after the retention, or sooner when the buffer nears its
 * cap. Unsynced readings are never pruned — at the cap the edge refuses new readings instead.
 * Deletes run in bounded chunks so one prune never stalls the event loop for long.
 */
import type { ReadingBuffer } from "./buffer.ts";
import type { Capacity } from "./capacity.ts";

export interface Pruner {
  /** Prunes one chunk now; returns the rows deleted. */
  run(): number;
  /** Asks for a prune soon (e.g. the cap was just reached, or a batch was just synced). */
  nudge(): void;
  close(): void;
}

export interface PrunerOptions {
  buffer: ReadingBuffer;
  capacity: Capacity;
  retentionMs: number;
  now: () => number;
  intervalMs?: number;
  chunkRows?: number;
  onPruned: (rows: number, pressure: boolean) => void;
}

/** Above this share of the cap, synced readings are pruned regardless of retention. */
const PRESSURE_SHARE = 0.9;

export function createPruner(options: PrunerOptions): Pruner {
  const { buffer, capacity } = options;
  const intervalMs = options.intervalMs ?? 10_000;
  const chunkRows = options.chunkRows ?? 20_000;
  let timer: NodeJS.Timeout | undefined;
  let closed = false;

  const schedule = (ms: number) => {
    if (closed) return;
    if (timer) clearTimeout(timer);
    timer = setTimeout(tick, ms);
    timer.unref();
  };

  const run = () => {
    const f = capacity.figures();
    const pressure = f.refusing !== undefined || f.usedBytes >= f.maxBytes * PRESSURE_SHARE;
    const rows = buffer.prune({
      now: options.now(),
      retentionMs: options.retentionMs,
      maxRows: chunkRows,
      pressure,
    });
    if (rows > 0) {
      capacity.measure();
      options.onPruned(rows, pressure);
    }
    return rows;
  };

  function tick() {
    timer = undefined;
    const rows = run();
    // A full chunk means more is waiting: continue soon, yielding to ingest in between. While the
    // edge refuses readings, look every second: the forwarder may have synced room since.
    schedule(rows >= chunkRows ? 20 : capacity.figures().refusing ? 1000 : intervalMs);
  }

  schedule(intervalMs);
  return {
    run,
    nudge: () => schedule(0),
    close() {
      closed = true;
      if (timer) clearTimeout(timer);
      timer = undefined;
    },
  };
}
