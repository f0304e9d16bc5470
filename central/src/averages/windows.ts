/**
 * The query windows (DESIGN.md section 4, "Windows"): `window=W` means readings with
 * `now − W < ts ≤ now`. Every window is a whole number of days, which the rollup decomposition
 * relies on for its speed (both edges of the window fall at the same time of day), not for its
 * correctness.
 */
import { parseTimestamp } from "@plantlink/shared";

const HOUR_MS = 3_600_000;
const DAY_MS = 24 * HOUR_MS;

export const WINDOWS = {
  "24h": { ms: DAY_MS, maxAgeSeconds: 15 },
  "48h": { ms: 2 * DAY_MS, maxAgeSeconds: 30 },
  "1w": { ms: 7 * DAY_MS, maxAgeSeconds: 60 },
  "1m": { ms: 30 * DAY_MS, maxAgeSeconds: 120 },
} as const;

export type WindowName = keyof typeof WINDOWS;
export const WINDOW_NAMES = Object.keys(WINDOWS) as [WindowName, ...WindowName[]];

export function isWindowName(text: string): text is WindowName {
  return Object.hasOwn(WINDOWS, text);
}

/** A window resolved against a clock: readings with `from < ts ≤ to`, in epoch milliseconds. */
export interface WindowBounds {
  window: WindowName;
  /** Exclusive: `now − W`. */
  from: number;
  /** Inclusive: `now`. */
  to: number;
}

export function windowBounds(window: WindowName, now: number): WindowBounds {
  return { window, from: now - WINDOWS[window].ms, to: now };
}

/**
 * Parses the `at=` parameter (an RFC 3339 instant with an offset, like every timestamp of the API);
 * returns the reason when it is not one, for the 400 answer.
 */
export function parseAt(text: string): { ok: true; ms: number } | { ok: false; reason: string } {
  const parsed = parseTimestamp(text);
  return parsed.ok ? parsed : { ok: false, reason: parsed.reason.replace(/^timestamp/, "at") };
}
