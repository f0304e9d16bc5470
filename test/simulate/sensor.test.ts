import { parseReading } from "@plantlink/shared";
import { describe, expect, it } from "vitest";
import {
  createSensor,
  DEFAULT_FAULTS,
  formatTimestamp,
  NO_FAULTS,
  profileFor,
  scaleFaults,
} from "../../tools/simulate/sensor.ts";

const HOUR = 3_600_000;
const DAY = 24 * HOUR;
const START = Date.UTC(2025, 2, 3); // a Monday

function series(id: string, faults = DEFAULT_FAULTS, days = 30, step = 60_000, seed = "test") {
  const sensor = createSensor(id, { seed, faults, siteOffsetMinutes: 0, intervalMs: step });
  const out: { t: number; value: number; sent: boolean; fault: string | undefined }[] = [];
  for (let t = START; t < START + days * DAY; t += step) out.push({ t, ...sensor.sample(t) });
  return { sensor, out };
}

describe("simulated sensor", () => {
  it("gives the same value for the same instant whatever was asked before (re-running history stores duplicates, not conflicts)", () => {
    const forward = series("EQ-1", DEFAULT_FAULTS, 3).out;
    const other = createSensor("EQ-1", {
      seed: "test",
      faults: DEFAULT_FAULTS,
      siteOffsetMinutes: 0,
      intervalMs: 60_000,
    });
    // Backwards and skipping: a pure function of time.
    for (let i = forward.length - 1; i >= 0; i -= 97) {
      const expected = forward[i];
      if (!expected) continue;
      expect(other.sample(expected.t)).toEqual({
        value: expected.value,
        sent: expected.sent,
        fault: expected.fault,
      });
    }
  });

  it("differs between devices and between seeds", () => {
    const a = series("EQ-1", NO_FAULTS, 1).out.map((s) => s.value);
    const b = series("EQ-2", NO_FAULTS, 1).out.map((s) => s.value);
    const c = series("EQ-1", NO_FAULTS, 1, 60_000, "other").out.map((s) => s.value);
    expect(a).not.toEqual(b);
    expect(a).not.toEqual(c);
  });

  it("follows a daily cycle peaking near its peak hour", () => {
    for (const id of ["EQ-10", "EQ-11", "EQ-12", "EQ-13"]) {
      const { sensor, out } = series(id, NO_FAULTS, 14, 10 * 60_000);
      const mean = (hour: number) => {
        const at = out.filter(
          (s) => Math.floor((s.t % DAY) / HOUR) === hour && new Date(s.t).getUTCDay() % 6 !== 0,
        );
        return at.reduce((sum, s) => sum + s.value, 0) / at.length;
      };
      const peak = Math.round(sensor.profile.peakHour) % 24;
      const trough = (peak + 12) % 24;
      expect(mean(peak)).toBeGreaterThan(mean(trough) + sensor.profile.amplitude);
    }
  });

  it("stays within a plausible band around its base level on working days when nothing fails", () => {
    for (const id of ["EQ-20", "EQ-21", "EQ-22", "EQ-23", "EQ-24"]) {
      const { sensor, out } = series(id, NO_FAULTS, 30, 5 * 60_000);
      const { base, amplitude, noise } = sensor.profile;
      // Daily swing, at most ~10 % drift, the wander (up to 9 noise widths) and 5σ of noise.
      const band = amplitude + 0.1 * base + 14 * noise;
      for (const s of out) {
        expect(s.sent).toBe(true);
        // Weekends run at lower load (down to ~55 % for flows), so only working days are held to the band.
        if (new Date(s.t).getUTCDay() % 6 !== 0) expect(Math.abs(s.value - base)).toBeLessThan(band);
      }
    }
  });

  it("falls silent in contiguous spells, holding back about the expected share of readings", () => {
    let silent = 0;
    let total = 0;
    let spells = 0;
    for (let d = 0; d < 40; d++) {
      const { out } = series(`EQ-${100 + d}`, DEFAULT_FAULTS, 30, 5 * 60_000);
      total += out.length;
      out.forEach((s, i) => {
        if (s.sent) return;
        silent += 1;
        if (i === 0 || out[i - 1]?.sent) spells += 1;
      });
    }
    // One silence per ~36 h of 3 min – 4 h, skewed short: a few percent of readings, never most.
    expect(silent / total).toBeGreaterThan(0.005);
    expect(silent / total).toBeLessThan(0.08);
    // Spells, not scattered single readings: each holds many minutes.
    expect(silent / spells).toBeGreaterThan(2);
    expect(spells).toBeGreaterThan(40 * 5);
  });

  it("produces a few out-of-range values: spikes several times the level and the -9999 sentinel", () => {
    const found = { high: 0, sentinel: 0 };
    for (let d = 0; d < 20; d++) {
      const { sensor, out } = series(`EQ-${200 + d}`, scaleFaults(DEFAULT_FAULTS, 20), 5, 5 * 60_000);
      for (const s of out.filter((x) => x.fault === "spike")) {
        if (s.value === -9999) found.sentinel += 1;
        else {
          expect(s.value).toBeGreaterThan(sensor.profile.base * 2);
          found.high += 1;
        }
      }
    }
    expect(found.high).toBeGreaterThan(0);
    expect(found.sentinel).toBeGreaterThan(0);
  });

  it("writes every reading in a shape the shared reading rules accept, UTC or with the site's offset", () => {
    const sensor = createSensor("EQ-30", {
      seed: "x",
      faults: DEFAULT_FAULTS,
      siteOffsetMinutes: -300,
      intervalMs: 60_000,
    });
    for (let t = START; t < START + DAY; t += 7 * 60_000) {
      for (const offset of [undefined, -300, 330, 0]) {
        const wire = {
          equipmentId: "EQ-30",
          value: sensor.sample(t).value,
          timestamp: formatTimestamp(t, offset),
        };
        const parsed = parseReading(wire, { now: () => START + 2 * DAY });
        expect(parsed.ok, JSON.stringify(wire)).toBe(true);
        if (parsed.ok) expect(parsed.reading.ts).toBe(t);
      }
    }
    expect(formatTimestamp(Date.UTC(2023, 1, 15, 6, 30), -300)).toBe("2023-02-15T01:30:00.000-05:00");
  });

  it("chooses a kind and units per device, and some devices send local time", () => {
    const profiles = Array.from({ length: 200 }, (_, i) => profileFor(`EQ-${i}`, "s"));
    expect(new Set(profiles.map((p) => p.kind)).size).toBe(5);
    const local = profiles.filter((p) => p.localTimestamps).length;
    expect(local).toBeGreaterThan(10);
    expect(local).toBeLessThan(80);
  });
});
