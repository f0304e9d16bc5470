/**
 * The status thresholds as configuration: the PLANTLINK_STATUS_* variables (parsed by config.ts with
 * these schemas, like every variable), handed to the routes through the parts.
 */
import { z } from "zod";
import { DEFAULT_STATUS_THRESHOLDS, type StatusThresholds } from "./status.ts";

const positive = (fallback: number, what: string) =>
  z.coerce
    .number({ error: `expected ${what}` })
    .positive({ error: `expected ${what} above 0` })
    .default(fallback);

export const statusEnvShape = {
  /** Window average this many baseline standard deviations away: warning. */
  PLANTLINK_STATUS_WARNING_SIGMA: positive(DEFAULT_STATUS_THRESHOLDS.warningSigma, "a number of σ, e.g. 2"),
  /** …and this many: critical. */
  PLANTLINK_STATUS_CRITICAL_SIGMA: positive(DEFAULT_STATUS_THRESHOLDS.criticalSigma, "a number of σ, e.g. 3"),
  /** Silent after this many usual intervals without a reading. */
  PLANTLINK_STATUS_SILENT_INTERVALS: positive(DEFAULT_STATUS_THRESHOLDS.silentIntervals, "a number, e.g. 5"),
  /** Fewer baseline readings than this: too little history (`unknown` without limits). */
  PLANTLINK_STATUS_MIN_BASELINE_READINGS: z.coerce
    .number({ error: "expected a whole number of readings" })
    .int({ error: "expected a whole number of readings" })
    .nonnegative({ error: "expected a whole number of readings" })
    .default(DEFAULT_STATUS_THRESHOLDS.minBaselineReadings),
};

type StatusEnv = { [K in keyof typeof statusEnvShape]: z.output<(typeof statusEnvShape)[K]> };

export function statusThresholdsFromEnv(env: StatusEnv): StatusThresholds {
  return {
    warningSigma: env.PLANTLINK_STATUS_WARNING_SIGMA,
    criticalSigma: env.PLANTLINK_STATUS_CRITICAL_SIGMA,
    silentIntervals: env.PLANTLINK_STATUS_SILENT_INTERVALS,
    minBaselineReadings: env.PLANTLINK_STATUS_MIN_BASELINE_READINGS,
  };
}

/** A critical threshold below the warning one would make warning unreachable: refuse it at start-up. */
export function statusThresholdsProblem(thresholds: StatusThresholds): string | undefined {
  return thresholds.criticalSigma < thresholds.warningSigma
    ? "PLANTLINK_STATUS_CRITICAL_SIGMA must not be below PLANTLINK_STATUS_WARNING_SIGMA"
    : undefined;
}

/** The thresholds the parts carry, or the documented defaults (tests build parts without them). */
export function statusThresholdsOf(parts: {
  statusThresholds?: StatusThresholds | undefined;
}): StatusThresholds {
  return parts.statusThresholds ?? DEFAULT_STATUS_THRESHOLDS;
}
