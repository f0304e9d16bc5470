/**
 * Seeded randomness: a simulated device with the same id and seed behaves the same on every run, so a
 * demo, a benchmark or a failing test can be replayed exactly. Math.random cannot be seeded.
 */
import { createHash } from "node:crypto";

export interface Random {
  /** Uniform in [0, 1). */
  next(): number;
  /** Uniform in [min, max). */
  between(min: number, max: number): number;
  /** Normally distributed, mean 0, standard deviation 1 (Box–Muller). */
  gaussian(): number;
  /** True with probability p. */
  chance(p: number): boolean;
  pick<T>(items: readonly T[]): T;
}

/** A 32-bit seed from any text: the device id and the run's seed. */
export function seedFrom(...parts: (string | number)[]): number {
  return createHash("sha256").update(parts.join("\u0000")).digest().readUInt32LE(0);
}

/** mulberry32: tiny, fast and well distributed enough for simulated sensors (not for secrets). */
export function createRandom(seed: number): Random {
  let state = seed >>> 0;
  let spare: number | undefined;
  const next = () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  return {
    next,
    between: (min, max) => min + (max - min) * next(),
    gaussian() {
      if (spare !== undefined) {
        const value = spare;
        spare = undefined;
        return value;
      }
      // 1 - next() is in (0, 1], so the logarithm is finite.
      const radius = Math.sqrt(-2 * Math.log(1 - next()));
      const angle = 2 * Math.PI * next();
      spare = radius * Math.sin(angle);
      return radius * Math.cos(angle);
    },
    chance: (p) => next() < p,
    pick<T>(items: readonly T[]): T {
      const item = items[Math.floor(next() * items.length)];
      if (item === undefined) throw new Error("pick from an empty list");
      return item;
    },
  };
}

/** murmur3's finaliser: every input bit flips each output bit with probability ~½. */
function mix(h: number): number {
  let x = h >>> 0;
  x ^= x >>> 16;
  x = Math.imul(x, 0x85ebca6b);
  x ^= x >>> 13;
  x = Math.imul(x, 0xc2b2ae35);
  x ^= x >>> 16;
  return x >>> 0;
}

/**
 * A uniform number in [0, 1) determined by four 32-bit integers (a key, a stream, a time split in two):
 * randomness addressed by time, so a sensor's value at an instant does not depend on earlier calls.
 */
export function hashUnit(key: number, stream: number, a: number, b: number): number {
  let h = mix(key ^ Math.imul(stream, 0x9e3779b1));
  h = mix(h ^ (a >>> 0));
  h = mix(h ^ Math.imul(b >>> 0, 0xcc9e2d51));
  return h / 4294967296;
}
