/**
 * Gaps: a series with known holes has exactly those holes found (each between the readings around it),
 * a steady or jittery one has none, a silence up to `now` is an open gap, and each sensor is judged by
 * its own cadence.
 */
import { describe, expect, it } from "vitest";
import { bearer, startTestCentral } from "../http/test-central.ts";
import { DAY, HOUR, MINUTE, regular, store } from "./fleet.ts";

const central = await startTestCentral();
const viewer = await central.tokenFor("viewer");
const NOW = Date.parse("2026-03-29T12:00:00Z");
const FROM = NOW - DAY;

const holes = [
  [FROM + 3 * HOUR, FROM + 4 * HOUR], // an hour missing
  [FROM + 10 * HOUR, FROM + 10 * HOUR + 5 * MINUTE], // five minutes: 5 intervals
] as const;
const inHole = (ts: number) => holes.some(([a, b]) => ts > a && ts < b);

await store(central.db.sql, [
  // Every minute, with the holes cut out.
  ...regular("HOLEY", FROM + MINUTE, NOW + 1, MINUTE, (i) => i).filter((r) => !inHole(r.ts)),
  // Every minute, ±20 s of jitter: never a gap.
  ...regular("JITTER", FROM + MINUTE, NOW + 1, MINUTE, (i) => i).map((r, i) => ({
    ...r,
    ts: r.ts + ((i * 7919) % 41) * 1000 - 20_000,
  })),
  // Every hour: a 2-hour interval is no gap for it, though it would be for a per-minute sensor.
  ...regular("HOURLY", FROM + HOUR, NOW + 1, HOUR, () => 1),
  // Every minute until 40 minutes ago.
  ...regular("STOPPED", FROM + MINUTE, NOW - 40 * MINUTE + 1, MINUTE, () => 1),
  // Readings before the window, then a hole across the window's start.
  ...regular("LATE", FROM - HOUR, FROM - 30 * MINUTE, MINUTE, () => 1),
  ...regular("LATE", FROM + HOUR, NOW + 1, MINUTE, () => 1),
]);

type GapsBody = {
  usualIntervalMs: number | null;
  thresholdMs: number | null;
  gaps: { from: string; to: string | null; ms: number }[];
};

const gapsOf = async (id: string, query = "") => {
  const response = await fetch(
    `${central.url}/v1/equipment/${id}/gaps?window=24h&at=${new Date(NOW).toISOString()}${query}`,
    {
      headers: bearer(viewer),
    },
  );
  expect(response.status).toBe(200);
  return (await response.json()) as GapsBody;
};
const iso = (ms: number) => new Date(ms).toISOString();

describe("gaps", () => {
  it("finds the known holes of a series, each between the readings around it", async () => {
    const body = await gapsOf("HOLEY");
    expect(body.usualIntervalMs).toBe(MINUTE);
    expect(body.thresholdMs).toBe(3 * MINUTE);
    expect(body.gaps).toEqual([
      { from: iso(holes[0][0]), to: iso(holes[0][1]), ms: HOUR },
      { from: iso(holes[1][0]), to: iso(holes[1][1]), ms: 5 * MINUTE },
    ]);
    // A larger multiple keeps only the long hole.
    expect((await gapsOf("HOLEY", "&multiple=10")).gaps).toHaveLength(1);
  });

  it("finds none in a steady or jittery series, judging each sensor by its own cadence", async () => {
    expect((await gapsOf("JITTER")).gaps).toEqual([]);
    const hourly = await gapsOf("HOURLY");
    expect(hourly.usualIntervalMs).toBe(HOUR);
    expect(hourly.gaps).toEqual([]);
  });

  it("reports a silence up to the window's end as an open gap", async () => {
    expect((await gapsOf("STOPPED")).gaps).toEqual([
      { from: iso(NOW - 40 * MINUTE), to: null, ms: 40 * MINUTE },
    ]);
  });

  it("reports a hole across the window's start from the last reading before the window", async () => {
    expect((await gapsOf("LATE")).gaps).toEqual([
      { from: iso(FROM - 31 * MINUTE), to: iso(FROM + HOUR), ms: HOUR + 31 * MINUTE },
    ]);
  });

  it("answers 400 naming the allowed values for a bad window or multiple", async () => {
    const response = await fetch(`${central.url}/v1/equipment/HOLEY/gaps?window=2d&multiple=1`, {
      headers: bearer(viewer),
    });
    expect(response.status).toBe(400);
    const problem = (await response.json()) as {
      detail: string;
      errors: { field: string; reason: string }[];
    };
    expect(problem.errors.map((e) => e.field).sort()).toEqual(["multiple", "window"]);
    expect(problem.detail).toMatch(/window must be one of 24h, 48h, 1w, 1m, got "2d"/);
  });
});
