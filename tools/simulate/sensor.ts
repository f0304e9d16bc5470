/**
 * One simulated sensor: what it measures and how its value moves. The shapes are the ones real plant
 * data has and the dashboard must cope with — a daily cycle (day shift, sun on the roof), lower load at
 * weekends, slow drift (fouling, calibration creep), noise, and faults: a sensor stuck on one value,
 * a spike or a "-9999" error sentinel out of range, and silences (a link or power loss) during which
 * the device keeps its readings locally. Those silent readings are what a vendor later backfills.
 *
 * A sample is a pure function of the sensor's id, the run's seed and the time: the same fleet gives the
 * same value for the same instant on every run. So writing a month of history twice stores nothing the
 * second time (central counts duplicates, not conflicts), and live and history data agree.
 */
import { createRandom, hashUnit, seedFrom } from "./random.ts";

export type SensorKind = "temperature" | "pressure" | "vibration" | "flow" | "level";

interface KindSpec {
  unit: string;
  base: [number, number];
  /** Half the daily swing, as a fraction of the base level. */
  dailySwing: [number, number];
  /** Hour (site time) of the daily peak. */
  peakHour: [number, number];
  /** Standard deviation of the noise, as a fraction of the base level. */
  noise: number;
  /** Load-driven quantities fall at weekends when the plant runs one shift. */
  weekendFactor: number;
}

const KINDS: Record<SensorKind, KindSpec> = {
  temperature: {
    unit: "°C",
    base: [35, 90],
    dailySwing: [0.04, 0.12],
    peakHour: [13, 16],
    noise: 0.006,
    weekendFactor: 0.97,
  },
  pressure: {
    unit: "bar",
    base: [2, 12],
    dailySwing: [0.02, 0.08],
    peakHour: [9, 15],
    noise: 0.01,
    weekendFactor: 0.9,
  },
  vibration: {
    unit: "mm/s",
    base: [1.5, 9],
    dailySwing: [0.1, 0.3],
    peakHour: [10, 14],
    noise: 0.05,
    weekendFactor: 0.6,
  },
  flow: {
    unit: "m³/h",
    base: [20, 240],
    dailySwing: [0.15, 0.35],
    peakHour: [8, 12],
    noise: 0.02,
    weekendFactor: 0.55,
  },
  level: {
    unit: "%",
    base: [30, 75],
    dailySwing: [0.05, 0.15],
    peakHour: [17, 21],
    noise: 0.008,
    weekendFactor: 1,
  },
};
const KIND_NAMES = Object.keys(KINDS) as SensorKind[];

/** How often faults happen, per sensor and hour of simulated time, and how long they last. */
export interface FaultRates {
  silencesPerHour: number;
  /** Silences last between these (milliseconds); short ones are more common. */
  silenceMs: [number, number];
  stuckPerHour: number;
  stuckMs: [number, number];
  /** Single out-of-range values: a spike several times the normal level, or the -9999 error sentinel. */
  spikesPerHour: number;
}

/** About one silence per sensor every day and a half, a stuck spell a week, a spike every two days. */
export const DEFAULT_FAULTS: FaultRates = {
  silencesPerHour: 1 / 36,
  silenceMs: [3 * 60_000, 4 * 3_600_000],
  stuckPerHour: 1 / 168,
  stuckMs: [10 * 60_000, 2 * 3_600_000],
  spikesPerHour: 1 / 48,
};

export const NO_FAULTS: FaultRates = {
  ...DEFAULT_FAULTS,
  silencesPerHour: 0,
  stuckPerHour: 0,
  spikesPerHour: 0,
};

/** Every rate multiplied by `factor` (a demo wants gaps within minutes, not days). */
export function scaleFaults(rates: FaultRates, factor: number): FaultRates {
  return {
    ...rates,
    silencesPerHour: rates.silencesPerHour * factor,
    stuckPerHour: rates.stuckPerHour * factor,
    spikesPerHour: rates.spikesPerHour * factor,
  };
}

export interface SensorProfile {
  equipmentId: string;
  kind: SensorKind;
  unit: string;
  base: number;
  amplitude: number;
  peakHour: number;
  noise: number;
  /** Linear drift, in units per day. */
  driftPerDay: number;
  weekendFactor: number;
  /** Older devices send site-local time with an offset; newer ones UTC. Both are valid readings. */
  localTimestamps: boolean;
}

export type Fault = "silence" | "stuck" | "spike";

export interface Sample {
  value: number;
  /** False during a silence: the device measured but did not transmit. */
  sent: boolean;
  fault: Fault | undefined;
}

export interface Sensor {
  profile: SensorProfile;
  /** The sample at `t` (ms since the epoch). Cheapest when called in increasing time order. */
  sample(t: number): Sample;
}

export interface SensorOptions {
  seed: string;
  faults: FaultRates;
  /** The site's offset from UTC in minutes: the daily cycle follows site time. */
  siteOffsetMinutes: number;
  /** The nominal time between samples: a spike's chance per sample follows from it. */
  intervalMs: number;
}

const HOUR_MS = 3_600_000;
const DAY_MS = 24 * HOUR_MS;
/** Drift is measured from a fixed instant, so a value depends on its time alone, not on when a run began. */
const DRIFT_ORIGIN = Date.UTC(2024, 0, 1);

export function profileFor(equipmentId: string, seed: string): SensorProfile {
  const random = createRandom(seedFrom("profile", seed, equipmentId));
  const kind = random.pick(KIND_NAMES);
  const spec = KINDS[kind];
  const base = random.between(...spec.base);
  return {
    equipmentId,
    kind,
    unit: spec.unit,
    base,
    amplitude: base * random.between(...spec.dailySwing),
    peakHour: random.between(...spec.peakHour),
    noise: base * spec.noise,
    // Up to ±0.3 % of the level a day, reversing every few months: a month shows a visible trend.
    driftPerDay: base * random.between(-0.003, 0.003),
    weekendFactor: spec.weekendFactor,
    localTimestamps: random.chance(0.2),
  };
}

/** The probability of at least one event in `ms` at `perHour` events an hour (a Poisson process). */
function eventProbability(perHour: number, ms: number): number {
  return perHour <= 0 ? 0 : 1 - Math.exp((-perHour * ms) / HOUR_MS);
}

// Independent random streams per purpose, so adding one kind of fault never shifts another's dice.
const STREAM = { noise: 1, noise2: 2, spike: 3, spikeKind: 4, spikeSize: 5, silence: 6, stuck: 7 } as const;

/**
 * Fault episodes (silences, stuck spells): whether one starts in an hour slot, when, and for how long
 * are all drawn from the slot number, so the episodes covering any instant can be found directly.
 */
function episodes(key: number, stream: number, perHour: number, durationMs: [number, number]) {
  const lookBack = Math.ceil(durationMs[1] / HOUR_MS);
  const start = eventProbability(perHour, HOUR_MS);
  let slotCached = Number.NaN;
  let active: [number, number][] = [];
  return (t: number): [number, number] | undefined => {
    if (start === 0) return undefined;
    const slot = Math.floor(t / HOUR_MS);
    if (slot !== slotCached) {
      slotCached = slot;
      active = [];
      for (let s = slot - lookBack; s <= slot; s++) {
        if (hashUnit(key, stream, s, 0) >= start) continue;
        const from = s * HOUR_MS + hashUnit(key, stream, s, 1) * HOUR_MS;
        // Skewed short: most episodes are brief, a few last hours.
        const length = durationMs[0] + (durationMs[1] - durationMs[0]) * hashUnit(key, stream, s, 2) ** 3;
        if (from + length > slot * HOUR_MS) active.push([from, from + length]);
      }
    }
    for (const episode of active) if (t >= episode[0] && t < episode[1]) return episode;
    return undefined;
  };
}

export function createSensor(equipmentId: string, options: SensorOptions): Sensor {
  const profile = profileFor(equipmentId, options.seed);
  const key = seedFrom("sensor", options.seed, equipmentId);
  const shape = createRandom(seedFrom("wander", options.seed, equipmentId));
  // A slow wander made of a few long waves (hours to days): what a random walk looks like on a chart,
  // but a function of time alone.
  const waves = Array.from({ length: 3 }, () => ({
    periodMs: shape.between(3 * HOUR_MS, 5 * DAY_MS),
    phase: shape.between(0, 2 * Math.PI),
    amplitude: profile.noise * shape.between(1, 3),
  }));
  const offsetMs = options.siteOffsetMinutes * 60_000;
  const faults = options.faults;
  const silenceAt = episodes(key, STREAM.silence, faults.silencesPerHour, faults.silenceMs);
  const stuckAt = episodes(key, STREAM.stuck, faults.stuckPerHour, faults.stuckMs);
  const spikeChance = eventProbability(faults.spikesPerHour, options.intervalMs);

  const gaussian = (t: number) => {
    // Box–Muller from two uniforms of this instant; 1 - u keeps the logarithm finite.
    const u1 = 1 - hashUnit(key, STREAM.noise, Math.floor(t / 2 ** 32), t >>> 0);
    const u2 = hashUnit(key, STREAM.noise2, Math.floor(t / 2 ** 32), t >>> 0);
    return Math.sqrt(-2 * Math.log(u1)) * Math.cos(2 * Math.PI * u2);
  };
  const level = (t: number, withNoise: boolean): number => {
    const siteT = t + offsetMs;
    const hour = (((siteT % DAY_MS) + DAY_MS) % DAY_MS) / HOUR_MS;
    // 1970-01-01 was a Thursday (4); Date objects here would cost more than the rest of the sample.
    const weekday = (((Math.floor(siteT / DAY_MS) + 4) % 7) + 7) % 7;
    const load = weekday === 0 || weekday === 6 ? profile.weekendFactor : 1;
    const daily = profile.amplitude * Math.cos((2 * Math.PI * (hour - profile.peakHour)) / 24);
    // Drift as a very long wave (a ~200-day cycle) rather than a line, so no date drives it to extremes.
    const days = (t - DRIFT_ORIGIN) / DAY_MS;
    const drift = profile.driftPerDay * 32 * Math.sin(days / 32);
    let wander = 0;
    for (const w of waves) wander += w.amplitude * Math.sin((2 * Math.PI * t) / w.periodMs + w.phase);
    return (profile.base + daily) * load + drift + wander + (withNoise ? profile.noise * gaussian(t) : 0);
  };

  return {
    profile,
    sample(t) {
      const silence = silenceAt(t);
      const stuck = stuckAt(t);
      let value: number;
      let fault: Fault | undefined = silence ? "silence" : undefined;
      const hi = Math.floor(t / 2 ** 32);
      const lo = t >>> 0;
      if (stuck) {
        value = level(stuck[0], true);
        fault ??= "stuck";
      } else if (spikeChance > 0 && hashUnit(key, STREAM.spike, hi, lo) < spikeChance) {
        value =
          hashUnit(key, STREAM.spikeKind, hi, lo) < 0.3
            ? -9999
            : profile.base * (3 + 3 * hashUnit(key, STREAM.spikeSize, hi, lo));
        fault ??= "spike";
      } else {
        value = level(t, true);
      }
      return { value: Math.round(value * 100) / 100, sent: silence === undefined, fault };
    },
  };
}
/** RFC 3339 with milliseconds: `…Z`, or site-local time with its offset (`…-05:00`). */
export function formatTimestamp(t: number, offsetMinutes: number | undefined): string {
  if (offsetMinutes === undefined || offsetMinutes === 0) return new Date(t).toISOString();
  const local = new Date(t + offsetMinutes * 60_000).toISOString().slice(0, -1);
  const sign = offsetMinutes < 0 ? "-" : "+";
  const abs = Math.abs(offsetMinutes);
  return `${local}${sign}${String(Math.floor(abs / 60)).padStart(2, "0")}:${String(abs % 60).padStart(2, "0")}`;
}
