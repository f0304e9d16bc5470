/**
 * The prebuilt validator must decide exactly like parseReading / parseReadings: same readings, same
 * rejections with the same fields and reasons, for valid, invalid, array and odd inputs alike.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { createReadingValidator, parseReading, parseReadings, type ValidationOptions } from "../src/index.ts";

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
