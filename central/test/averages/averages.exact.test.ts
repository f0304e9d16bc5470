/**
 * DESIGN.md guarantee 4, property-based: for random sensors and readings — many placed exactly on hour,
 * day, 10-minute and window boundaries or a millisecond off them, given in half-hour and 45-minute UTC
 * offsets around DST changes — and many random `now` values, every window's average, count, sum, min,
 * max, first and last equal PostgreSQL's aggregates over the raw rows with now − W < ts ≤ now.
 *
 * The readings go in through the real ingest path, so the rollups under test are the ones ingest keeps.
 * `now` values are drawn to put a reading exactly at now − W (excluded) and at now (included): an
 * off-by-one at either edge, or in which buckets count as inside, changes a count and fails the test.
 */
import { parseReadings } from "@plantlink/shared";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { averages } from "../../src/averages/averages.ts";
import { WINDOW_NAMES, WINDOWS } from "../../src/averages/windows.ts";
import { DEFAULT_STATUS_THRESHOLDS } from "../../src/equipment/status.ts";
import { ingest } from "../../src/ingest/ingest.ts";
import { resetReadings } from "../support/rollups.ts";
import { createTestDatabase } from "../support/test-database.ts";
import { rawFigures } from "./raw-figures.ts";

const db = await createTestDatabase();
const { sql } = db;

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;
// DST changes in 2026: US 8 March and 1 November, EU 29 March and 25 October; readings sent with
// local offsets on both sides of them must still land on the right UTC instants.
const DST_DAYS = [
  "2026-03-08T07:00:00Z",
  "2026-03-29T01:00:00Z",
  "2026-10-25T01:00:00Z",
  "2026-11-01T06:00:00Z",
].map(Date.parse);
const OFFSETS = ["+05:30", "-03:30", "+05:45", "+09:30", "-09:30", "+13:45", "Z", "-05:00", "+01:00"];

/** An instant on (or a millisecond around) a bucket boundary near one of the DST days, or anywhere. */
const instantArb = fc.oneof(
  fc
    .record({
      day: fc.constantFrom(...DST_DAYS),
      shiftDays: fc.integer({ min: -40, max: 3 }),
      unit: fc.constantFrom(10 * MINUTE, HOUR, DAY, 30 * MINUTE),
      steps: fc.integer({ min: -30, max: 30 }),
      nudge: fc.constantFrom(-1, 0, 0, 1),
    })
    .map(({ day, shiftDays, unit, steps, nudge }) => day + shiftDays * DAY + steps * unit + nudge),
  fc.integer({ min: DST_DAYS[0]! - 40 * DAY, max: DST_DAYS[0]! + 3 * DAY }),
);

/** RFC 3339 text of `ms` in the given offset: the path a device's local timestamp takes. */
function inOffset(ms: number, offset: string): string {
  if (offset === "Z") return new Date(ms).toISOString();
  const sign = offset.startsWith("-") ? -1 : 1;
  const minutes = sign * (Number(offset.slice(1, 3)) * 60 + Number(offset.slice(4, 6)));
  return `${new Date(ms + minutes * MINUTE).toISOString().slice(0, -1)}${offset}`;
}

const wireReadingArb = fc.record({
  equipmentId: fc.constantFrom("EQ-1", "EQ-2", "eq:3", "EQ-4"),
  ms: instantArb,
  offset: fc.constantFrom(...OFFSETS),
  value: fc.oneof(
    { weight: 8, arbitrary: fc.integer({ min: -500_000, max: 500_000 }).map((c) => c / 100) },
    fc.constantFrom(999_999_999_999.99, -999_999_999_999.99, 0.01, -0.01),
  ),
});

/** `now` values tied to the readings (a reading at now or at now − W) plus free ones. */
const nowChoiceArb = fc.record({
  reading: fc.nat(),
  window: fc.constantFrom(...WINDOW_NAMES),
  kind: fc.constantFrom("reading-at-now", "reading-at-start", "around-start", "free"),
  nudge: fc.constantFrom(-1, 0, 1),
  free: instantArb,
});

describe("averages are exact", () => {
  it("equal PostgreSQL's aggregates over the raw rows, for every window and many random now values", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(wireReadingArb, { minLength: 1, maxLength: 120 }),
        fc.array(nowChoiceArb, { minLength: 4, maxLength: 6 }),
        async (wire, nowChoices) => {
          await resetReadings(sql);
          const { readings, rejections } = parseReadings(
            wire.map((r) => ({
              equipmentId: r.equipmentId,
              value: r.value,
              timestamp: inOffset(r.ms, r.offset),
            })),
            { now: () => Date.parse("2100-01-01T00:00:00Z") },
          );
          expect(rejections).toEqual([]);
          // The offsets must not move an instant.
          expect(readings.map((r) => r.ts)).toEqual(wire.map((r) => r.ms));
          await ingest(sql, readings, "exactness");

          for (const choice of nowChoices) {
            const at = readings[choice.reading % readings.length]!.ts;
            const w = WINDOWS[choice.window].ms;
            const now =
              choice.kind === "reading-at-now"
                ? at + choice.nudge
                : choice.kind === "reading-at-start"
                  ? at + w
                  : choice.kind === "around-start"
                    ? at + w + choice.nudge
                    : choice.free;
            for (const window of WINDOW_NAMES) {
              const expected = await rawFigures(sql, now - WINDOWS[window].ms, now);
              const answer = await averages(sql, { window, at: now }, DEFAULT_STATUS_THRESHOLDS);
              expect(
                answer.sensors.map((s) => ({
                  equipmentId: s.equipmentId,
                  count: s.count,
                  average: s.average,
                  sum: s.sum,
                  min: s.min,
                  max: s.max,
                  first: s.first,
                  last: s.last,
                })),
                `window ${window} ending ${new Date(now).toISOString()}`,
              ).toEqual(expected);
            }
          }
        },
      ),
      { numRuns: 20 },
    );
  });
});
