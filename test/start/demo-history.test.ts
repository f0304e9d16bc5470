/**
 * `pnpm start --demo` loads enough history for every window to be judged: each window's readings and
 * the baseline week central judges it against (docs/status.md), the month included — without it every
 * sensor was `unknown` in the 1-month view. Checked against central's own window and baseline rules.
 */
import { baselineDays, WINDOW_NAMES, windowBounds } from "@plantlink/central";
import { describe, expect, it } from "vitest";
import { demoHistorySpan } from "../../tools/start/demo.ts";

const DAY_MS = 86_400_000;
// Just after midnight UTC, midday, and just before midnight: the baseline ends at the start of the
// UTC day the window starts in, so the time of day moves it.
const nows = [
  Date.UTC(2026, 11, 3, 0, 0, 1),
  Date.UTC(2026, 11, 3, 12, 0),
  Date.UTC(2026, 11, 3, 23, 59, 59),
];

describe("the demo's history", () => {
  it("covers every window and its baseline week on a first start", () => {
    for (const now of nows) {
      const span = demoHistorySpan(now, undefined);
      expect(span.to).toBe(now);
      for (const window of WINDOW_NAMES) {
        const bounds = windowBounds(window, now);
        expect(span.from, `${window} at ${new Date(now).toISOString()}`).toBeLessThanOrEqual(
          baselineDays(bounds).from,
        );
        expect(span.from).toBeLessThanOrEqual(bounds.from);
      }
      // No more than that: the demo's start-up time grows with the span.
      expect(now - span.from).toBeLessThanOrEqual(38 * DAY_MS);
    }
  });

  it("loads only what a second start has not loaded yet", () => {
    const now = nows[1] ?? 0;
    expect(demoHistorySpan(now, now - 3_600_000)).toEqual({ from: now - 3_600_000, to: now });
  });
});
