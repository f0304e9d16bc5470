/**
 * The prebuilt validator must decide exactly like parseReading / parseReadings: same readings, same
 * rejections with the same fields and reasons, for valid, invalid, array and odd inputs alike.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  createReadingValidator,
  EARLIEST_INSTANT,
  EARLIEST_INSTANT_MS,
  INSTANTS_END,
  INSTANTS_END_MS,
  parseReading,
  parseReadings,
  type ValidationOptions,
} from "../src/index.ts";

const NOW: ValidationOptions = { now: () => Date.parse("2024-06-01T12:00:00Z") };
const GOOD = { equipmentId: "EQ-12495", value: 78.42, timestamp: "2023-02-15T01:30:00.000-05:00" };

const CASES: unknown[] = [
  GOOD,
  { ...GOOD, value: 78.425 },
  { ...GOOD, value: "78.4" },
  { ...GOOD, value: null },
  { ...GOOD, timestamp: "2023-02-15T01:30:00" },
  { ...GOOD, timestamp: "2030-01-01T00:00:00Z" },
  { ...GOOD, equipmentId: "" },
  { ...GOOD, equipmentId: "-bad" },
  { equipmentId: "A" },
  {},
  null,
  42,
  "text",
  [],
  [GOOD],
  [GOOD, { ...GOOD, value: Number.NaN }, 7, { ...GOOD, timestamp: "nope" }],
];

describe("createReadingValidator", () => {
  const validator = createReadingValidator(NOW);

  it.each(CASES.map((input) => [JSON.stringify(input), input]))(
    "agrees with parseReadings on %s",
    (_, input) => {
      expect(validator.parseReadings(input)).toEqual(parseReadings(input, NOW));
    },
  );

  it.each(CASES.map((input) => [JSON.stringify(input), input]))(
    "agrees with parseReading on %s",
    (_, input) => {
      expect(validator.parseReading(input)).toEqual(parseReading(input, NOW));
    },
  );

  // The range every path shares (MQTT and HTTP at the edge, central's batches, direct readings, CSV):
  // 1970-01-01T00:00:00.000Z <= t < 2200-01-01T00:00:00.000Z, stated here without the constants.
  it("exports the accepted range as 1970-01-01T00:00:00Z up to, not including, 2200-01-01T00:00:00Z", () => {
    expect(EARLIEST_INSTANT_MS).toBe(Date.UTC(1970, 0, 1));
    expect(INSTANTS_END_MS).toBe(Date.UTC(2200, 0, 1));
    expect(Date.parse(EARLIEST_INSTANT)).toBe(EARLIEST_INSTANT_MS);
    expect(Date.parse(INSTANTS_END)).toBe(INSTANTS_END_MS);
  });

  const LATE: ValidationOptions = { now: () => Date.parse("2300-01-01T00:00:00Z") };
  const late = createReadingValidator(LATE);
  const bounds: [name: string, timestamp: string, reason: string | undefined][] = [
    ["the first instant", "1970-01-01T00:00:00.000Z", undefined],
    [
      "1 ms before it",
      "1969-12-31T23:59:59.999Z",
      "is before 1970-01-01T00:00:00Z, the earliest plantlink accepts",
    ],
    ["year 0001", "0001-01-01T00:00:00Z", "is before 1970-01-01T00:00:00Z"],
    ["year 0000", "0000-01-01T00:00:00Z", "is before 1970-01-01T00:00:00Z"],
    ["the last instant", "2199-12-31T23:59:59.999Z", undefined],
    ["the end of the range", "2200-01-01T00:00:00.000Z", "is at or after 2200-01-01T00:00:00Z"],
    ["year 9999", "9999-12-31T23:59:59.999Z", "is at or after 2200-01-01T00:00:00Z"],
  ];

  it.each(bounds)("decides %s by the range, as parseReading does", (_name, timestamp, reason) => {
    const input = { ...GOOD, timestamp };
    const result = late.parseReading(input);
    expect(result).toEqual(parseReading(input, LATE));
    if (reason === undefined)
      expect(result).toMatchObject({ ok: true, reading: { ts: Date.parse(timestamp) } });
    else
      expect(result).toEqual({
        ok: false,
        rejections: [{ field: "timestamp", reason: expect.stringContaining(reason) }],
      });
    expect(late.parseReadings([GOOD, input]).rejections).toEqual(
      reason === undefined ? [] : [{ index: 1, field: "timestamp", reason: expect.stringContaining(reason) }],
    );
  });

  it("agrees on arbitrary JSON values", () => {
    fc.assert(
      fc.property(fc.jsonValue(), (input) => {
        expect(validator.parseReadings(input)).toEqual(parseReadings(input, NOW));
      }),
      { numRuns: 500 },
    );
  });

  it("agrees on near-valid readings, where the direct path and the schema could disagree", () => {
    const text = fc.oneof(
      fc.string(),
      fc.stringMatching(/^[A-Za-z0-9][A-Za-z0-9._:-]{0,70}$/),
      fc.constantFrom("EQ-1", "-EQ", "EQ 1", "É", ""),
    );
    const value = fc.oneof(
      fc.double(),
      fc.integer(),
      fc.constantFrom(
        0.005,
        -0.005,
        78.425,
        999999999999.995,
        1e12,
        -1e12,
        1e-7,
        Number.NaN,
        Number.POSITIVE_INFINITY,
      ),
    );
    const offset = fc.constantFrom("Z", "z", "+05:45", "-00:00", "", "+24:00", "+5:00");
    const timestamp = fc.oneof(
      fc.string(),
      fc
        .tuple(
          fc.date({
            min: new Date("0001-01-01T00:00:00Z"),
            max: new Date("9999-12-31T00:00:00Z"),
            noInvalidDate: true,
          }),
          offset,
        )
        .map(([d, o]) => d.toISOString().replace("Z", o)),
      fc.constantFrom(
        "2024-02-30T00:00:00Z",
        "2024-06-01T12:04:59.999Z",
        "2024-06-01T12:05:00.001Z",
        "2023-02-15T01:30:00.1239-05:00",
      ),
    );
    fc.assert(
      fc.property(fc.record({ equipmentId: text, value, timestamp }, { requiredKeys: [] }), (input) => {
        expect(validator.parseReading(input)).toEqual(parseReading(input, NOW));
      }),
      { numRuns: 3000 },
    );
  });

  it("reads the clock per reading, so a validator built long ago still applies the skew rule to now", () => {
    let now = Date.parse("2024-06-01T12:00:00Z");
    const v = createReadingValidator({ now: () => now });
    const reading = { ...GOOD, timestamp: "2024-06-01T13:00:00Z" };
    expect(v.parseReading(reading).ok).toBe(false);
    now += 2 * 3_600_000;
    expect(v.parseReading(reading).ok).toBe(true);
  });
});
