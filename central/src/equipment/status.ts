/**
 * Each sensor's status for a window — `ok`, `warning`, `critical`, `silent` or `unknown` — from its
 * window figures, its limits and its own baseline. The rule is a pure function so it is tested case by
 * case (test/equipment/status.rule.test.ts) and written down once, in docs/status.md; keep the two in
 * step.
 */
import { z } from "zod";

export const STATUSES = ["ok", "warning", "critical", "silent", "unknown"] as const;
export type Status = (typeof STATUSES)[number];

/** The configurable thresholds (PLANTLINK_STATUS_* variables). */
export interface StatusThresholds {
  /** Window average this many baseline σ from the baseline mean: warning. */
  warningSigma: number;
  /** …and this many: critical. */
  criticalSigma: number;
  /** Silent once the last reading is older than this many of the sensor's usual intervals. */
  silentIntervals: number;
  /** A baseline with fewer readings than this is too little history to judge against. */
  minBaselineReadings: number;
}

export const DEFAULT_STATUS_THRESHOLDS: StatusThresholds = {
  warningSigma: 2,
  criticalSigma: 3,
  silentIntervals: 5,
  minBaselineReadings: 30,
};

/** Limits in hundredths; any of them may be unset. */
export interface LimitsCenti {
  warningLow: number | null;
  warningHigh: number | null;
  criticalLow: number | null;
  criticalHigh: number | null;
  target: number | null;
}

/** The previous week's figures (see baselineDays), in hundredths. */
export interface Baseline {
  count: number;
  mean: number;
  /** Sample standard deviation; 0 for a constant sensor. */
  sd: number;
  /** Mean interval between its first and last reading, ms; undefined below two readings. */
  intervalMs: number | undefined;
}

export interface StatusInput {
  /** The window's end. */
  now: number;
  windowMs: number;
  /** Readings in the window. */
  count: number;
  /** Window average, hundredths; ignored when count is 0. */
  average: number;
  /** First and last reading in the window (epoch ms); ignored when count is 0. */
  first: number;
  last: number;
  baseline: Baseline | undefined;
  limits: LimitsCenti | undefined;
}

export interface StatusVerdict {
  status: Status;
  /** Why, in words a person reading the dashboard can check. */
  reason: string;
}

/**
 * The sensor's usual interval between readings: the mean interval inside the window — its first to its
 * last reading, so a silence at the end does not stretch it — or the baseline's when the window has
 * fewer than two readings.
 */
export function usualIntervalMs(input: StatusInput): number | undefined {
  if (input.count >= 2) return (input.last - input.first) / (input.count - 1);
  return input.baseline?.intervalMs;
}

// One hundredth is the sensors' resolution: a baseline that never moved (σ = 0) still gets a finite
// distance, so a constant sensor that moves by a few hundredths is flagged, not divided by zero.
const MIN_SD_CENTI = 1;

export function sensorStatus(input: StatusInput, thresholds: StatusThresholds): StatusVerdict {
  const interval = usualIntervalMs(input);
  if (input.count === 0) {
    if (interval !== undefined && input.windowMs < thresholds.silentIntervals * interval) {
      return {
        status: "unknown",
        reason: "no reading in the window, which is shorter than its silence limit",
      };
    }
    return { status: "silent", reason: "no reading in the window" };
  }
  if (interval !== undefined && interval > 0) {
    const quiet = input.now - input.last;
    if (quiet > thresholds.silentIntervals * interval) {
      return {
        status: "silent",
        reason: `no reading for ${formatDuration(quiet)}, over ${thresholds.silentIntervals} × its usual interval of ${formatDuration(interval)}`,
      };
    }
  }

  // The worst verdict wins; between equals, the limits' (set by a person) before the baseline's.
  // Plain branches, no closures: this runs for every sensor of every answer.
  const limits = input.limits;
  const critical =
    limits && outsideLimits("critical", input.average, limits.criticalLow, limits.criticalHigh);
  if (critical) return critical;
  const baseline = input.baseline;
  const hasBaseline = baseline !== undefined && baseline.count >= thresholds.minBaselineReadings;
  const deviation = hasBaseline ? baselineDeviation(input.average, baseline, thresholds) : undefined;
  if (deviation?.status === "critical") return deviation;
  const warning = limits && outsideLimits("warning", input.average, limits.warningLow, limits.warningHigh);
  if (warning) return warning;
  if (deviation) return deviation;

  const hasLimits =
    limits !== undefined &&
    (limits.warningLow !== null ||
      limits.warningHigh !== null ||
      limits.criticalLow !== null ||
      limits.criticalHigh !== null);
  if (!hasLimits && !hasBaseline) {
    return {
      status: "unknown",
      reason: `no limits set and too little history for a baseline (${baseline?.count ?? 0} readings in the baseline week, ${thresholds.minBaselineReadings} needed)`,
    };
  }
  return hasLimits && hasBaseline ? OK_BOTH : hasLimits ? OK_LIMITS : OK_BASELINE;
}

const OK_BOTH: StatusVerdict = { status: "ok", reason: "within its limits and baseline" };
const OK_LIMITS: StatusVerdict = { status: "ok", reason: "within its limits" };
const OK_BASELINE: StatusVerdict = { status: "ok", reason: "within its baseline" };

function outsideLimits(
  level: "critical" | "warning",
  average: number,
  low: number | null,
  high: number | null,
): StatusVerdict | undefined {
  if (low !== null && average < low) {
    return { status: level, reason: `average ${centi(average)} is below the ${level} low ${centi(low)}` };
  }
  if (high !== null && average > high) {
    return { status: level, reason: `average ${centi(average)} is above the ${level} high ${centi(high)}` };
  }
  return undefined;
}

function baselineDeviation(
  average: number,
  baseline: Baseline,
  thresholds: StatusThresholds,
): StatusVerdict | undefined {
  const sigmas = Math.abs(average - baseline.mean) / Math.max(baseline.sd, MIN_SD_CENTI);
  const level =
    sigmas > thresholds.criticalSigma ? "critical" : sigmas > thresholds.warningSigma ? "warning" : undefined;
  if (level === undefined) return undefined;
  return {
    status: level,
    reason: `average ${centi(average)} is ${sigmas.toFixed(1)} σ from its baseline ${centi(baseline.mean)} ± ${centi(baseline.sd)} (${level} above ${level === "critical" ? thresholds.criticalSigma : thresholds.warningSigma} σ)`,
  };
}

const centi = (value: number) => String(Math.round(value) / 100);

function formatDuration(ms: number): string {
  if (ms >= 86_400_000) return `${(ms / 86_400_000).toFixed(1)} d`;
  if (ms >= 3_600_000) return `${(ms / 3_600_000).toFixed(1)} h`;
  if (ms >= 60_000) return `${(ms / 60_000).toFixed(1)} min`;
  return `${(ms / 1000).toFixed(1)} s`;
}

export const statusSchema = z.enum(STATUSES).meta({
  description:
    "ok, warning or critical against the sensor's limits and its last-week baseline; silent: no reading " +
    "for several usual intervals; unknown: no limits and too little history (rule: docs/status.md)",
});
