/**
 * What an edge sends: batches of its sensors' readings in time order (each sensor reads once a
 * second), a tenth of each batch being re-sends of readings already sent (retries after a lost answer).
 */
import type { Reading } from "@plantlink/shared";

export interface WorkloadOptions {
  /** Sensor ids are `${prefix}EQ-00001`…; senders sharing a prefix share sensors. */
  prefix: string;
  sensors: number;
  batchSize: number;
  duplicateShare: number;
  /** Instant of the first reading. */
  start: number;
  /** Seconds between one round of readings and the next (senders sharing sensors interleave). */
  secondsPerStep?: number;
  /** Seed of the deterministic choice of re-sent readings. */
  seed: number;
}

/** An endless supply of batches for one sender. */
export function* edgeBatches(options: WorkloadOptions): Generator<Reading[]> {
  const ids = Array.from(
    { length: options.sensors },
    (_, i) => `${options.prefix}EQ-${String(i + 1).padStart(5, "0")}`,
  );
  const duplicates = Math.round(options.batchSize * options.duplicateShare);
  const fresh = options.batchSize - duplicates;
  let random = options.seed >>> 0 || 1;
  const next = () => {
    // xorshift32: cheap, deterministic, good enough to pick readings.
    random ^= random << 13;
    random ^= random >>> 17;
    random ^= random << 5;
    return (random >>> 0) / 2 ** 32;
  };
  let n = 0;
  let previous: Reading[] = [];
  for (;;) {
    const batch: Reading[] = [];
    for (let i = 0; i < fresh; i++, n++) {
      const second = Math.floor(n / options.sensors) * (options.secondsPerStep ?? 1);
      batch.push({
        equipmentId: ids[n % options.sensors]!,
        ts: options.start + second * 1000,
        centi: 5_000 + ((n * 7919) % 4_000),
      });
    }
    const pool = previous.length > 0 ? previous : batch.slice();
    for (let i = 0; i < duplicates; i++) batch.push(pool[Math.floor(next() * pool.length)]!);
    previous = batch.slice(0, fresh);
    yield batch;
  }
}
