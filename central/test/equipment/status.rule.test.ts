/** The status rule of docs/status.md, case by case: each verdict, and which one wins when several apply. */
import { describe, expect, it } from "vitest";
import {
  type Baseline,
  type LimitsCenti,
  type StatusInput,
  sensorStatus,
  DEFAULT_STATUS_THRESHOLDS as T,
} from "../../src/equipment/status.ts";

const MINUTE = 60_000;
const NOW = Date.parse("2026-02-15T12:00:00Z");
const DAY = 86_400_000;

const steady: Baseline = { count: 10_080, mean: 5000, sd: 100, intervalMs: MINUTE };
const noLimits: LimitsCenti = {
  warningLow: null,
  warningHigh: null,
  criticalLow: null,
  criticalHigh: null,
  target: null,
};
const limits: LimitsCenti = {
  warningLow: 4000,
  warningHigh: 6000,
  criticalLow: 3000,
  criticalHigh: 7000,
  target: 5000,
};

/** A sensor reporting every minute up to `now − quietMs`, averaging `average` hundredths. */
function input(average: number, extra: Partial<StatusInput> = {}): StatusInput {
  const quietMs = 0;
  return {
    now: NOW,
    windowMs: DAY,
    count: 1440,
    average,
    first: NOW - DAY + MINUTE,
    last: NOW - quietMs,
    baseline: steady,
    limits: noLimits,
    ...extra,
  };
}

const status = (i: StatusInput) => sensorStatus(i, T).status;

describe("sensor status", () => {
  it("is ok within its baseline, and within its limits", () => {
    expect(status(input(5150))).toBe("ok");
    expect(status(input(5150, { limits }))).toBe("ok");
    expect(status(input(5150, { baseline: undefined, limits }))).toBe("ok");
  });

  it("is warning beyond 2 σ of its baseline and critical beyond 3 σ", () => {
    expect(status(input(5000 + 200))).toBe("ok"); // exactly 2 σ is not beyond
    expect(status(input(5000 + 201))).toBe("warning");
    expect(status(input(5000 - 250))).toBe("warning");
    expect(status(input(5000 + 301))).toBe("critical");
  });

  it("is warning outside the warning bounds and critical outside the critical ones", () => {
    const wide: Baseline = { ...steady, sd: 10_000 }; // the baseline alone would say ok
    expect(status(input(6001, { limits, baseline: wide }))).toBe("warning");
    expect(status(input(3999, { limits, baseline: wide }))).toBe("warning");
    expect(status(input(7001, { limits, baseline: wide }))).toBe("critical");
    expect(status(input(2999, { limits, baseline: wide }))).toBe("critical");
    expect(status(input(6000, { limits, baseline: wide }))).toBe("ok"); // on the bound is inside
  });

  it("takes the worse of limits and baseline", () => {
    expect(status(input(5000 + 350, { limits }))).toBe("critical"); // inside limits, 3.5 σ
    expect(status(input(6500, { limits, baseline: { ...steady, sd: 1000 } }))).toBe("warning");
  });

  it("is silent when the last reading is older than 5 usual intervals, whatever the values", () => {
    const quiet = (ms: number) => input(9999, { last: NOW - ms, limits, count: 1000, first: NOW - DAY });
    // Usual interval from the window: (last − first) / (count − 1).
    const interval = (q: number) => (NOW - q - (NOW - DAY)) / 999;
    expect(status(quiet(5 * interval(50 * MINUTE) + 5 * MINUTE))).toBe("silent");
    expect(status(quiet(2 * MINUTE))).toBe("critical");
  });

  it("is silent with no reading in the window, unless the window is shorter than its silence limit", () => {
    expect(status(input(0, { count: 0 }))).toBe("silent");
    const hourly: Baseline = { ...steady, intervalMs: 6 * 3_600_000 }; // every 6 h: 5 intervals > 24 h
    expect(status(input(0, { count: 0, baseline: hourly }))).toBe("unknown");
  });

  it("is unknown without limits and with too little history for a baseline", () => {
    expect(status(input(5000, { baseline: undefined }))).toBe("unknown");
    expect(status(input(5000, { baseline: { ...steady, count: T.minBaselineReadings - 1 } }))).toBe(
      "unknown",
    );
    expect(status(input(5000, { baseline: { ...steady, count: T.minBaselineReadings } }))).toBe("ok");
  });

  it("floors σ at one hundredth, so a constant sensor that moves is flagged, not divided by zero", () => {
    const constant: Baseline = { ...steady, sd: 0 };
    expect(status(input(5000, { baseline: constant }))).toBe("ok");
    expect(status(input(5002.5, { baseline: constant }))).toBe("warning");
    expect(status(input(5004, { baseline: constant }))).toBe("critical");
  });

  it("honours configured thresholds", () => {
    const strict = { ...T, warningSigma: 1, criticalSigma: 1.5 };
    expect(sensorStatus(input(5000 + 120), strict).status).toBe("warning");
    expect(sensorStatus(input(5000 + 160), strict).status).toBe("critical");
  });

  it("says why, with the figures", () => {
    expect(sensorStatus(input(7001, { limits }), T).reason).toMatch(/above the critical high 70/);
    expect(sensorStatus(input(5000 + 350), T).reason).toMatch(/3\.5 σ from its baseline 50/);
  });
});
