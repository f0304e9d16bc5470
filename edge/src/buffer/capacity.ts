/**
 * Admission control: whether the buffer may take more readings. Two limits, both checked from cached
 * figures so the hot path never waits on a syscall:
 *  - the cap (PLANTLINK_BUFFER_MAX_BYTES) on the file's used pages, re-measured after every commit
 *    and prune;
 *  - the free-disk reserve (PLANTLINK_DISK_RESERVE_BYTES), re-measured every second with statfs, so
 *    the edge stops before the filesystem is full and SQLite never meets ENOSPC mid-transaction.
 * Reaching either refuses new readings; nothing is deleted to make room except synced readings.
 */
import { statfsSync } from "node:fs";
import { statfs } from "node:fs/promises";
import { BufferFullError, DiskReserveError } from "../errors.ts";

export interface CapacityFigures {
  usedBytes: number;
  maxBytes: number;
  freeDiskBytes: number;
  diskReserveBytes: number;
  refusing: "buffer_full" | "disk_reserve" | undefined;
}

export interface Capacity {
  /** Why new readings are refused right now, or undefined. */
  refusal(): BufferFullError | DiskReserveError | undefined;
  /** Re-reads the buffer's used bytes; call after a commit or a prune. */
  measure(): void;
  figures(): CapacityFigures;
  close(): void;
}

export interface CapacityOptions {
  dir: string;
  maxBytes: number;
  diskReserveBytes: number;
  usedBytes: () => number;
  /** Called when the edge starts or stops refusing, with the reason. */
  onChange: (refusing: CapacityFigures["refusing"], figures: CapacityFigures) => void;
  diskCheckMs?: number;
  /** Injected for tests of the reserve: free bytes available to the edge's user. */
  freeDiskBytes?: (dir: string) => Promise<number>;
}

const defaultFreeBytes = async (dir: string) => {
  const s = await statfs(dir);
  return s.bavail * s.bsize;
};

export function createCapacity(options: CapacityOptions): Capacity {
  const { dir, maxBytes, diskReserveBytes, onChange } = options;
  const readFree = options.freeDiskBytes ?? defaultFreeBytes;
  let usedBytes = options.usedBytes();
  let freeDiskBytes = (() => {
    const s = statfsSync(dir);
    return s.bavail * s.bsize;
  })();
  let refusing: CapacityFigures["refusing"];
  let closed = false;

  const figures = (): CapacityFigures => ({ usedBytes, maxBytes, freeDiskBytes, diskReserveBytes, refusing });

  const update = () => {
    const next =
      usedBytes >= maxBytes ? "buffer_full" : freeDiskBytes < diskReserveBytes ? "disk_reserve" : undefined;
    if (next !== refusing) {
      refusing = next;
      onChange(next, figures());
    }
  };

  let checking = false;
  const checkDisk = () => {
    if (checking || closed) return;
    checking = true;
    readFree(dir)
      .then((free) => {
        freeDiskBytes = free;
        if (!closed) update();
      })
      // A failed statfs keeps the last figure: refusing on a transient error would stop a plant.
      .catch(() => undefined)
      .finally(() => {
        checking = false;
      });
  };
  const timer = setInterval(checkDisk, options.diskCheckMs ?? 1000);
  timer.unref();
  update();

  return {
    refusal() {
      if (refusing === "buffer_full") return new BufferFullError(usedBytes, maxBytes);
      if (refusing === "disk_reserve") return new DiskReserveError(dir, freeDiskBytes, diskReserveBytes);
      return undefined;
    },
    measure() {
      usedBytes = options.usedBytes();
      update();
    },
    figures,
    close() {
      closed = true;
      clearInterval(timer);
    },
  };
}
