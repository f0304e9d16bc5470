/**
 * Which readings are not measurements: a sensor's error code (a sentinel such as -9999) or a value
 * outside the range the sensor can measure. Such a reading is valid on the wire — the edge forwards it
 * like any other, so nothing is lost on the way — but averaging it would make the sensor critical,
 * inflate its baseline and flatten its charts, so central sets it aside instead of storing it
 * (central/src/ingest/set-aside.ts).
 *
 * The global sentinels (PLANTLINK_SENTINEL_VALUES) apply to every sensor; each sensor may add its own
 * sentinels and a valid range with its limits (PUT /v1/equipment/{id}/limits).
 */
import type { SetAsideReason } from "../db/schema.ts";

/** A sensor's own screening, in hundredths, as stored with its limits. */
export interface SensorScreen {
  sentinels: readonly number[];
  validMin: number | null;
  validMax: number | null;
}

export const NO_SCREEN: SensorScreen = { sentinels: [], validMin: null, validMax: null };

/** PLANTLINK_SENTINEL_VALUES' default: the error value the plant's sensors send. */
export const DEFAULT_SENTINELS_CENTI: readonly number[] = [-999_900];

/** Why `centi` is not a measurement for a sensor with `screen`, or undefined when it is one. */
export function setAsideReason(
  centi: number,
  globalSentinels: readonly number[],
  screen: SensorScreen,
): SetAsideReason | undefined {
  if (globalSentinels.includes(centi) || screen.sentinels.includes(centi)) return "sentinel";
  if (screen.validMin !== null && centi < screen.validMin) return "below_valid_min";
  if (screen.validMax !== null && centi > screen.validMax) return "above_valid_max";
  return undefined;
}

/**
 * The valid range must be a range; a sentinel inside it is allowed (an error code may look like a
 * value), it is set aside all the same. Returns the reason when the range is inverted.
 */
export function screenProblem(screen: SensorScreen): string | undefined {
  if (screen.validMin !== null && screen.validMax !== null && screen.validMin > screen.validMax) {
    return `validMin (${screen.validMin / 100}) must not be above validMax (${screen.validMax / 100})`;
  }
  return undefined;
}
