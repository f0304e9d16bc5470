/**
 * Table-driven cases for every rule of the reading (DESIGN.md section 2): one row per case, valid and
 * invalid, each invalid row naming the field it must be reported against and a distinctive part of the
 * reason a person would read. The JSON path (MQTT, HTTP) and the CSV path are checked against the same
 * tables, because one module must decide for both.
 */
import { describe, expect, it } from "vitest";
import {
  type CsvHeader,
  formatReading,
  formatTimestamp,
  parseCsvHeader,
  parseCsvRow,
  parseReading,
  parseReadings,
  type Reading,
  type Rejection,
  type ValidationOptions,
} from "../src/index.ts";

const GOOD = { equipmentId: "EQ-12495", value: 78.42, timestamp: "2023-02-15T01:30:00.000-05:00" };

/** A clock late enough that only the future-skew table below ever meets the skew rule. */
const LATE: ValidationOptions = { now: () => Date.parse("9999-12-31T23:59:59.999Z") };

const CSV_HEADER = header(["equipmentId", "timestamp", "value"]);

function header(fields: string[]): CsvHeader {
  const result = parseCsvHeader(fields);
  if (!result.ok) throw new Error(`test header refused: ${result.reason}`);
  return result.header;
}

function accepted(input: unknown, options: ValidationOptions = LATE): Reading {
  const result = parseReading(input, options);
  if (!result.ok)
    throw new Error(`expected the reading to be accepted: ${JSON.stringify(result.rejections)}`);
  return result.reading;
}

function rejections(input: unknown, options: ValidationOptions = LATE): Rejection[] {
  const result = parseReading(input, options);
  if (result.ok) throw new Error(`expected a rejection, got ${JSON.stringify(result.reading)}`);
  for (const { reason } of result.rejections) {
    // zod's own wording ("Invalid input: …") is not something a plant engineer can act on.
    expect(reason).not.toMatch(/^invalid/i);
  }
  return result.rejections;
}

/** Exactly one rejection, against `field`, whose reason contains `reason`. */
function expectRejected(input: unknown, field: string, reason: string, options: ValidationOptions = LATE) {
  expect(rejections(input, options)).toEqual([{ field, reason: expect.stringContaining(reason) }]);
}

function csvRow(fields: string[], csvHeader: CsvHeader = CSV_HEADER, options: ValidationOptions = LATE) {
  return parseCsvRow(fields, csvHeader, options);
}

function expectCsvRejected(fields: string[], field: string, reason: string, csvHeader?: CsvHeader) {
  const result = csvRow(fields, csvHeader);
  expect(result).toEqual({ ok: false, field, reason: expect.stringContaining(reason) });
}

describe("timestamp", () => {
  const valid: [name: string, timestamp: string, utc: string][] = [
    ["offset -05:00, the contract's example", "2023-02-15T01:30:00.000-05:00", "2023-02-15T06:30:00.000Z"],
    ["Z", "2023-02-15T06:30:00Z", "2023-02-15T06:30:00.000Z"],
    ["lowercase z", "2023-02-15T06:30:00z", "2023-02-15T06:30:00.000Z"],
    ["lowercase t", "2023-02-15t06:30:00Z", "2023-02-15T06:30:00.000Z"],
    ["lowercase t and z", "2023-02-15t06:30:00.5z", "2023-02-15T06:30:00.500Z"],
    ["+05:45 (a quarter-hour offset)", "2023-02-15T12:15:00+05:45", "2023-02-15T06:30:00.000Z"],
    ["-09:30 (a half-hour offset)", "2023-02-14T21:00:00-09:30", "2023-02-15T06:30:00.000Z"],
    ["-00:00 (UTC, local offset unknown)", "2023-02-15T06:30:00-00:00", "2023-02-15T06:30:00.000Z"],
    ["+00:00", "2023-02-15T06:30:00+00:00", "2023-02-15T06:30:00.000Z"],
    ["+23:59, the largest offset", "2023-02-16T06:29:00+23:59", "2023-02-15T06:30:00.000Z"],
    ["-23:59, the smallest offset", "2023-02-14T06:31:00-23:59", "2023-02-15T06:30:00.000Z"],
    ["0 fraction digits", "2023-02-15T06:30:00Z", "2023-02-15T06:30:00.000Z"],
    ["1 fraction digit", "2023-02-15T06:30:00.1Z", "2023-02-15T06:30:00.100Z"],
    ["2 fraction digits", "2023-02-15T06:30:00.12Z", "2023-02-15T06:30:00.120Z"],
    ["3 fraction digits", "2023-02-15T06:30:00.123Z", "2023-02-15T06:30:00.123Z"],
    ["4 fraction digits, truncated", "2023-02-15T06:30:00.1239Z", "2023-02-15T06:30:00.123Z"],
    ["5 fraction digits, truncated", "2023-02-15T06:30:00.12399Z", "2023-02-15T06:30:00.123Z"],
    ["6 fraction digits, truncated", "2023-02-15T06:30:00.123999Z", "2023-02-15T06:30:00.123Z"],
    ["7 fraction digits, truncated", "2023-02-15T06:30:00.1239999Z", "2023-02-15T06:30:00.123Z"],
    ["8 fraction digits, truncated", "2023-02-15T06:30:00.12399999Z", "2023-02-15T06:30:00.123Z"],
    ["9 fraction digits, truncated", "2023-02-15T06:30:00.123999999Z", "2023-02-15T06:30:00.123Z"],
    [".9999 truncates to .999, never rounds up", "2023-02-15T06:30:59.9999Z", "2023-02-15T06:30:59.999Z"],
    ["9 nines do not carry into the next year", "2023-12-31T23:59:59.999999999Z", "2023-12-31T23:59:59.999Z"],
    ["an offset carries into the next year", "2023-12-31T23:30:00-01:00", "2024-01-01T00:30:00.000Z"],
    ["an offset carries back to Feb 29", "2024-03-01T00:15:00+01:00", "2024-02-29T23:15:00.000Z"],
    ["2000-02-29: divisible by 400, a leap year", "2000-02-29T12:00:00Z", "2000-02-29T12:00:00.000Z"],
    ["2024-02-29: a leap year", "2024-02-29T12:00:00Z", "2024-02-29T12:00:00.000Z"],
    ["2023-04-30: the last day of April", "2023-04-30T12:00:00Z", "2023-04-30T12:00:00.000Z"],
    ["2023-01-31: the last day of January", "2023-01-31T12:00:00Z", "2023-01-31T12:00:00.000Z"],
    ["midnight 00:00:00", "2023-02-15T00:00:00Z", "2023-02-15T00:00:00.000Z"],
    ["23:59:59, the last second of a day", "2023-02-15T23:59:59Z", "2023-02-15T23:59:59.000Z"],
    ["1970-01-01T00:00:00Z, the first instant", "1970-01-01T00:00:00Z", "1970-01-01T00:00:00.000Z"],
    ["the first instant written with an offset", "1970-01-01T01:00:00+01:00", "1970-01-01T00:00:00.000Z"],
    ["1 ms after the first instant", "1970-01-01T00:00:00.001Z", "1970-01-01T00:00:00.001Z"],
    ["2199-12-31T23:59:59.999Z, the last instant", "2199-12-31T23:59:59.999Z", "2199-12-31T23:59:59.999Z"],
    ["the last instant written with an offset", "2199-12-31T22:59:59.999-01:00", "2199-12-31T23:59:59.999Z"],
  ];

  it.each(valid)("accepts %s", (_name, timestamp, utc) => {
    expect(formatTimestamp(accepted({ ...GOOD, timestamp }).ts)).toBe(utc);
  });

  const invalid: [name: string, timestamp: string, reason: string][] = [
    ["no offset", "2023-02-15T01:30:00", "timestamp has no UTC offset; add Z or ±hh:mm"],
    ["no offset, with milliseconds", "2023-02-15T01:30:00.000", "has no UTC offset"],
    ["no offset, lowercase t and 6 digits", "2023-02-15t01:30:00.123456", "has no UTC offset"],
    ["2023-02-30", "2023-02-30T00:00:00Z", "day 30 does not exist in 2023-02 (it has 28 days)"],
    ["2023-02-29, not a leap year", "2023-02-29T00:00:00Z", "day 29 does not exist in 2023-02"],
    [
      "2100-02-29, a century not divisible by 400",
      "2100-02-29T00:00:00Z",
      "day 29 does not exist in 2100-02",
    ],
    ["1900-02-29", "1900-02-29T00:00:00Z", "day 29 does not exist in 1900-02"],
    ["2023-04-31", "2023-04-31T00:00:00Z", "day 31 does not exist in 2023-04 (it has 30 days)"],
    ["2023-06-31", "2023-06-31T00:00:00Z", "day 31 does not exist in 2023-06"],
    ["2023-01-32", "2023-01-32T00:00:00Z", "day 32 does not exist in 2023-01"],
    ["day 00", "2023-01-00T00:00:00Z", "day 00 does not exist"],
    ["2023-13-01", "2023-13-01T00:00:00Z", "month 13 is out of range 01-12"],
    ["month 00", "2023-00-10T00:00:00Z", "month 00 is out of range 01-12"],
    ["hour 24", "2023-02-15T24:00:00Z", "hour 24 is out of range 00-23"],
    ["minute 60", "2023-02-15T12:60:00Z", "minute 60 is out of range 00-59"],
    ["leap second 60", "2016-12-31T23:59:60Z", "second 60 (a leap second) is not accepted"],
    ["leap second 60 with a fraction", "2016-12-31T23:59:60.5Z", "leap second"],
    ["second 61", "2023-02-15T00:00:61Z", "second 61 is out of range 00-59"],
    ["10 fraction digits", "2023-02-15T06:30:00.1234567890Z", "more than 9 fraction digits"],
    ["a point without fraction digits", "2023-02-15T06:30:00.Z", "decimal point but no fraction digits"],
    ["offset +24:00", "2023-02-15T06:30:00+24:00", "offset hour 24 is out of range 00-23"],
    ["offset -25:00", "2023-02-15T06:30:00-25:00", "offset hour 25 is out of range"],
    ["offset +05:60", "2023-02-15T06:30:00+05:60", "offset minute 60 is out of range 00-59"],
    ["offset without a colon", "2023-02-15T06:30:00+0545", 'offset "+0545" is not Z or ±hh:mm'],
    ["offset hours only", "2023-02-15T06:30:00+05", 'offset "+05" is not Z or ±hh:mm'],
    ["offset with one hour digit", "2023-02-15T06:30:00+5:45", 'offset "+5:45" is not Z or ±hh:mm'],
    ["a zone name instead of an offset", "2023-02-15T06:30:00UTC", 'offset "UTC" is not Z or ±hh:mm'],
    ["Z and an offset", "2023-02-15T06:30:00Z+01:00", 'offset "Z+01:00"'],
    ["a trailing space after Z", "2023-02-15T06:30:00Z ", 'offset "Z " is not Z'],
    ["a space instead of T", "2023-02-15 06:30:00Z", 'separate date and time with "T", found " "'],
    ["an underscore instead of T", "2023-02-15_06:30:00Z", 'found "_"'],
    [
      "a date without a time",
      "2023-02-15",
      "is not an RFC 3339 date-time like 2023-02-15T01:30:00.000-05:00",
    ],
    ["no seconds", "2023-02-15T06:30Z", "is not an RFC 3339 date-time"],
    ["a one-digit month", "2023-2-15T06:30:00Z", "is not an RFC 3339 date-time"],
    ["a European date", "15.02.2023 06:30:00", "is not an RFC 3339 date-time"],
    ["epoch milliseconds as text", "1676442600000", '"1676442600000" is not an RFC 3339 date-time'],
    ["an empty string", "", "is not an RFC 3339 date-time"],
    ["a leading space", " 2023-02-15T06:30:00Z", "is not an RFC 3339 date-time"],
    ["full-width digits", "２０２３-02-15T06:30:00Z", "is not an RFC 3339 date-time"],
    [
      "1 ms before 1970",
      "1969-12-31T23:59:59.999Z",
      '"1969-12-31T23:59:59.999Z" is before 1970-01-01T00:00:00Z, the earliest plantlink accepts',
    ],
    [
      "1970-01-01 local time, still 1969 in UTC",
      "1970-01-01T00:30:00+01:00",
      "is before 1970-01-01T00:00:00Z",
    ],
    ["year 0001", "0001-01-01T00:00:00Z", "is before 1970-01-01T00:00:00Z, the earliest plantlink accepts"],
    ["year 0000", "0000-01-01T00:00:00Z", "is before 1970-01-01T00:00:00Z"],
    [
      "year 0099, which Date.UTC would read as 1999",
      "0099-06-01T00:00:00Z",
      "is before 1970-01-01T00:00:00Z",
    ],
    [
      "2200-01-01T00:00:00Z, the end of the range",
      "2200-01-01T00:00:00Z",
      '"2200-01-01T00:00:00Z" is at or after 2200-01-01T00:00:00Z, the end of the range plantlink accepts',
    ],
    ["2199-12-31 local time, already 2200 in UTC", "2199-12-31T23:30:00-01:00", "is at or after 2200-01-01"],
    ["year 9999", "9999-12-31T23:59:59.999Z", "is at or after 2200-01-01T00:00:00Z"],
  ];

  it.each(invalid)("rejects %s", (_name, timestamp, reason) => {
    expectRejected({ ...GOOD, timestamp }, "timestamp", reason);
  });

  // The CSV path trims its fields and says "empty" for an empty one; everything else must agree.
  const csvComparable = [...valid, ...invalid].filter(([, text]) => text !== "" && text === text.trim());

  it.each(csvComparable)("decides %s the same way in a CSV row", (_name, timestamp) => {
    const json = parseReading({ ...GOOD, timestamp }, LATE);
    const csv = csvRow([GOOD.equipmentId, timestamp, String(GOOD.value)]);
    if (json.ok) expect(csv).toEqual({ ok: true, reading: json.reading });
    else expect(csv).toEqual({ ok: false, ...json.rejections[0] });
  });

  const wrongType: [name: string, timestamp: unknown, reason: string][] = [
    ["epoch milliseconds as a number", 1676442600000, "timestamp must be a string, got a number"],
    ["null", null, "timestamp must be a string, got null"],
    ["an object", { seconds: 1 }, "timestamp must be a string, got an object"],
  ];

  it.each(wrongType)("rejects %s", (_name, timestamp, reason) => {
    expectRejected({ ...GOOD, timestamp }, "timestamp", reason);
  });

  it("rejects a missing timestamp", () => {
    expectRejected({ equipmentId: GOOD.equipmentId, value: GOOD.value }, "timestamp", "timestamp is missing");
  });
});

describe("future clock skew (injected clock)", () => {
  const NOW = Date.parse("2024-01-01T00:00:00.000Z");
  const clock: ValidationOptions = { now: () => NOW };

  const valid: [name: string, timestamp: string, options: ValidationOptions, utc: string][] = [
    ["exactly 5 min ahead, the default limit", "2024-01-01T00:05:00.000Z", clock, "2024-01-01T00:05:00.000Z"],
    [
      "exactly 5 min ahead, written with +01:00",
      "2024-01-01T01:05:00+01:00",
      clock,
      "2024-01-01T00:05:00.000Z",
    ],
    [
      "0.9 ms past the limit, truncated to it",
      "2024-01-01T00:05:00.0009Z",
      clock,
      "2024-01-01T00:05:00.000Z",
    ],
    ["the clock's own instant", "2024-01-01T00:00:00Z", clock, "2024-01-01T00:00:00.000Z"],
    ["one second in the past", "2023-12-31T23:59:59Z", clock, "2023-12-31T23:59:59.000Z"],
    ["a year in the past (backfill)", "2023-01-01T00:00:00Z", clock, "2023-01-01T00:00:00.000Z"],
    [
      "the clock's instant with a zero skew",
      "2024-01-01T00:00:00.000Z",
      { ...clock, maxFutureSkewMs: 0 },
      "2024-01-01T00:00:00.000Z",
    ],
    [
      "exactly 1 min ahead with a 1 min skew",
      "2024-01-01T00:01:00Z",
      { ...clock, maxFutureSkewMs: 60_000 },
      "2024-01-01T00:01:00.000Z",
    ],
  ];

  it.each(valid)("accepts %s", (_name, timestamp, options, utc) => {
    expect(formatTimestamp(accepted({ ...GOOD, timestamp }, options).ts)).toBe(utc);
  });

  const invalid: [name: string, timestamp: string, options: ValidationOptions, reason: string][] = [
    ["1 ms past the limit", "2024-01-01T00:05:00.001Z", clock, "is 5 min 0.001 s in the future"],
    ["1.9 ms past the limit", "2024-01-01T00:05:00.0019Z", clock, "5 min 0.001 s in the future"],
    ["1 ms past, written with +01:00", "2024-01-01T01:05:00.001+01:00", clock, "5 min 0.001 s in the future"],
    ["a day ahead", "2024-01-02T00:00:00Z", clock, "is 1 d in the future"],
    ["a year ahead", "2025-01-01T00:00:00Z", clock, "is 366 d in the future"],
    ["1 ms ahead with a zero skew", "2024-01-01T00:00:00.001Z", { ...clock, maxFutureSkewMs: 0 }, "0.001 s"],
    [
      "1 ms past a 1 min skew",
      "2024-01-01T00:01:00.001Z",
      { ...clock, maxFutureSkewMs: 60_000 },
      "allowed clock skew 1 min)",
    ],
  ];

  it.each(invalid)("rejects %s", (_name, timestamp, options, reason) => {
    expectRejected({ ...GOOD, timestamp }, "timestamp", reason, options);
  });

  it("says which clock, which limit, and what to check", () => {
    expectRejected(
      { ...GOOD, timestamp: "2024-01-01T02:05:00.001+02:00" },
      "timestamp",
      "timestamp 2024-01-01T00:05:00.001Z is 5 min 0.001 s in the future (server clock 2024-01-01T00:00:00.000Z, allowed clock skew 5 min); check the device clock",
      clock,
    );
  });

  it("reads the clock at validation time, not when the options are made", () => {
    let now = NOW;
    const moving: ValidationOptions = { now: () => now };
    const reading = { ...GOOD, timestamp: "2024-01-01T00:10:00Z" };
    expect(parseReading(reading, moving).ok).toBe(false);
    now += 5 * 60_000;
    expect(parseReading(reading, moving).ok).toBe(true);
  });

  it("uses the system clock when none is injected", () => {
    expect(parseReading({ ...GOOD, timestamp: new Date(Date.now() - 1000).toISOString() }).ok).toBe(true);
    expect(parseReading({ ...GOOD, timestamp: new Date(Date.now() + 3_600_000).toISOString() }).ok).toBe(
      false,
    );
  });

  it("applies the same limit to CSV rows", () => {
    expect(csvRow(["EQ-1", "2024-01-01T00:05:00.000Z", "1"], CSV_HEADER, clock).ok).toBe(true);
    expect(csvRow(["EQ-1", "2024-01-01T00:05:00.001Z", "1"], CSV_HEADER, clock)).toEqual({
      ok: false,
      field: "timestamp",
      reason: expect.stringContaining("5 min 0.001 s in the future"),
    });
  });
});

describe("value from a JSON number", () => {
  const valid: [name: string, value: number, centi: number][] = [
    ["78.42", 78.42, 7842],
    ["0", 0, 0],
    ["-0, stored as 0", -0, 0],
    ["an integer", 1, 100],
    ["a negative integer", -1, -100],
    ["0.01, the smallest step", 0.01, 1],
    ["-0.01", -0.01, -1],
    ["1.005 rounds half away from zero", 1.005, 101],
    ["-1.005 rounds half away from zero", -1.005, -101],
    ["78.425 rounds up (binary is 78.42499…)", 78.425, 7843],
    ["-78.425", -78.425, -7843],
    ["2.675 rounds up (binary is 2.67499…)", 2.675, 268],
    ["0.045 rounds up (binary is 0.04499…)", 0.045, 5],
    ["1.125, an exact binary tie", 1.125, 113],
    ["-1.125", -1.125, -113],
    ["0.005 rounds to 0.01", 0.005, 1],
    ["-0.005 rounds to -0.01", -0.005, -1],
    ["0.004 rounds to 0", 0.004, 0],
    ["-0.004 rounds to 0", -0.004, 0],
    ["0.0049999 rounds down", 0.0049999, 0],
    ["1.0049999 rounds down", 1.0049999, 100],
    ["1e-7 rounds to 0", 1e-7, 0],
    ["1.5e3", 1.5e3, 150_000],
    ["123456789012.34", 123456789012.34, 12345678901234],
    ["999999999999.99, the largest", 999999999999.99, 99999999999999],
    ["-999999999999.99, the smallest", -999999999999.99, -99999999999999],
    ["999999999999.994 rounds down, inside the limit", 999999999999.994, 99999999999999],
  ];

  it.each(valid)("accepts %s", (_name, value, centi) => {
    const stored = accepted({ ...GOOD, value }).centi;
    // toBe uses Object.is: a stored -0 would print as "-0" in some clients and fail here.
    expect(stored).toBe(centi);
  });

  it.each(valid)("stores %s the same way from a CSV row", (_name, value, centi) => {
    const result = csvRow([GOOD.equipmentId, GOOD.timestamp, JSON.stringify(value)]);
    expect(result.ok && result.reading.centi).toBe(centi);
  });

  const invalid: [name: string, value: unknown, reason: string][] = [
    ["1e12", 1e12, "value 1000000000000 is out of range (|value| must be < 1e12)"],
    ["-1e12", -1e12, "out of range (|value| must be < 1e12)"],
    ["1000000000000.01", 1000000000000.01, "out of range"],
    ["999999999999.995, 1e12 once rounded", 999999999999.995, "out of range once rounded to two decimals"],
    ["-999999999999.995", -999999999999.995, "out of range once rounded to two decimals"],
    ["1e21", 1e21, "value 1e+21 is out of range"],
    ["Number.MAX_VALUE", Number.MAX_VALUE, "out of range"],
    ["a numeric string", "78.42", 'value must be a JSON number, got the string "78.42"'],
    ["an empty string", "", 'value must be a JSON number, got the string ""'],
    ["null", null, "value must be a JSON number, got null"],
    ["true", true, "value must be a JSON number, got a boolean"],
    ["false", false, "got a boolean"],
    ["NaN", Number.NaN, "value is NaN; send a finite number"],
    ["Infinity", Number.POSITIVE_INFINITY, "value is Infinity; send a finite number"],
    ["-Infinity", Number.NEGATIVE_INFINITY, "value is -Infinity; send a finite number"],
    ["an array", [78.42], "value must be a JSON number, got an array"],
    ["an object", { value: 78.42 }, "value must be a JSON number, got an object"],
  ];

  it.each(invalid)("rejects %s", (_name, value, reason) => {
    expectRejected({ ...GOOD, value }, "value", reason);
  });

  it("rejects a missing value", () => {
    expectRejected({ equipmentId: GOOD.equipmentId, timestamp: GOOD.timestamp }, "value", "value is missing");
  });
});

describe("value from JSON text (exponent notation and extra digits)", () => {
  const json = (value: string) =>
    JSON.parse(`{"equipmentId":"EQ-1","value":${value},"timestamp":"2023-02-15T06:30:00Z"}`) as unknown;

  const valid: [value: string, centi: number][] = [
    ["7.842E1", 7842],
    ["7842e-2", 7842],
    ["1e-3", 0],
    ["5e-3", 1],
    ["-5E-3", -1],
    ["1.0050", 101],
    ["78.4200000000000000001", 7842],
    ["-0.0", 0],
    ["1E+2", 10_000],
  ];

  it.each(valid)("accepts %s", (value, centi) => {
    expect(accepted(json(value)).centi).toBe(centi);
  });

  const invalid: [value: string, reason: string][] = [
    ["1E12", "out of range (|value| must be < 1e12)"],
    ["9.99999999999995e11", "out of range once rounded"],
    ["1e400", "value is Infinity"],
  ];

  it.each(invalid)("rejects %s", (value, reason) => {
    expectRejected(json(value), "value", reason);
  });
});

describe("value from CSV text", () => {
  const valid: [name: string, text: string, centi: number][] = [
    ["plain", "78.42", 7842],
    ["padded with spaces", "  78.42 ", 7842],
    ["a leading +", "+78.42", 7842],
    ["negative", "-78.42", -7842],
    ["78.425 rounds up", "78.425", 7843],
    ["1.005 rounds up", "1.005", 101],
    ["-0.004 rounds to 0, not -0", "-0.004", 0],
    ["-0 is 0", "-0", 0],
    ["exponent notation", "7.842E1", 7842],
    ["a small exponent", "1e-3", 0],
    ["no integer digits", ".5", 50],
    ["no fraction digits after the point", "5.", 500],
    ["zero with a large exponent", "0e200", 0],
    ["exact below a tie, where a float would round up", "78.4249999999999999999", 7842],
    ["exact above a tie", "78.425000000000000000001", 7843],
    ["just inside the limit", "999999999999.994999999", 99999999999999],
  ];

  it.each(valid)("accepts %s", (_name, text, centi) => {
    const result = csvRow(["EQ-1", "2023-02-15T06:30:00Z", text]);
    expect(result.ok && result.reading.centi).toBe(centi);
  });

  const invalid: [name: string, text: string, reason: string][] = [
    ["1e12", "1e12", "out of range (|value| must be < 1e12)"],
    ["1e12 once rounded", "999999999999.995", "out of range once rounded to two decimals"],
    ["a decimal comma (quoted field)", "78,42", "use a point, not a comma, as the decimal separator"],
    ["empty", "", "value is empty"],
    ["only spaces", "   ", "value is empty"],
    ["a word", "abc", 'value "abc" is not a number'],
    ["NaN", "NaN", 'value "NaN" is not a number'],
    ["Infinity", "Infinity", "is not a number"],
    ["hexadecimal", "0x10", "is not a number"],
    ["digit separators", "1_000", "is not a number"],
    ["a space inside", "1 000", "is not a number"],
    ["two points", "78.42.1", "is not a number"],
    ["an exponent alone", "e5", "is not a number"],
    ["a point alone", ".", "is not a number"],
    ["two signs", "--1", "is not a number"],
  ];

  it.each(invalid)("rejects %s", (_name, text, reason) => {
    expectCsvRejected(["EQ-1", "2023-02-15T06:30:00Z", text], "value", reason);
  });
});

describe("equipmentId", () => {
  const valid: [name: string, id: string][] = [
    ["the contract's example", "EQ-12495"],
    ["one letter", "a"],
    ["one digit", "7"],
    ["64 characters, the limit", "A".repeat(64)],
    ["every allowed punctuation", "line1.pump_2:temp-a"],
    ["lowercase, kept as sent", "eq-12495"],
    ["trailing punctuation", "pump."],
    ["digits and points", "0.0"],
  ];

  it.each(valid)("accepts %s", (_name, equipmentId) => {
    expect(accepted({ ...GOOD, equipmentId }).equipmentId).toBe(equipmentId);
    expect(csvRow([equipmentId, GOOD.timestamp, "1"]).ok).toBe(true);
  });

  const invalid: [name: string, id: string, reason: string][] = [
    ["empty", "", "equipmentId is empty"],
    ["65 characters", "A".repeat(65), "equipmentId is 65 characters long; the limit is 64"],
    ["1000 characters", "A".repeat(1000), "1000 characters long"],
    ["starting with -", "-EQ", 'equipmentId must start with a letter or digit, not "-"'],
    ["starting with .", ".EQ", 'must start with a letter or digit, not "."'],
    ["starting with _", "_EQ", 'not "_"'],
    ["starting with :", ":EQ", 'not ":"'],
    ["a space inside", "EQ 1", 'equipmentId contains " " at position 3; allowed are A-Z a-z 0-9 . _ : -'],
    ["a slash (an MQTT topic level)", "EQ/1", 'contains "/" at position 3'],
    ["a topic instead of an id", "readings/EQ-1", 'contains "/" at position 9'],
    ["the MQTT wildcard #", "EQ#", 'contains "#" at position 3'],
    ["the MQTT wildcard +", "EQ+1", 'contains "+" at position 3'],
    ["# alone", "#", 'must start with a letter or digit, not "#"'],
    ["+ alone", "+", 'not "+"'],
    ["an asterisk", "EQ*1", 'contains "*"'],
    ["a comma", "EQ,1", 'contains ","'],
    ["a non-ASCII letter inside", "Pumpe-Ä1", 'contains "Ä" at position 7'],
    ["a non-ASCII first letter", "Ä1", 'not "Ä"'],
    ["an emoji first, shown whole", "😀EQ", 'not "😀"'],
    ["an emoji inside, shown whole", "EQ😀", 'contains "😀" at position 3'],
    ["a newline", "EQ\n1", 'contains "\\n" at position 3'],
    ["a NUL byte", "EQ\u0000", 'contains "\\u0000"'],
  ];

  it.each(invalid)("rejects %s", (_name, equipmentId, reason) => {
    expectRejected({ ...GOOD, equipmentId }, "equipmentId", reason);
    if (equipmentId === equipmentId.trim()) {
      expectCsvRejected([equipmentId, GOOD.timestamp, "1"], "equipmentId", reason);
    }
  });

  const wrongType: [name: string, id: unknown, reason: string][] = [
    ["a number", 12495, "equipmentId must be a string, got a number"],
    ["null", null, "equipmentId must be a string, got null"],
  ];

  it.each(wrongType)("rejects %s", (_name, equipmentId, reason) => {
    expectRejected({ ...GOOD, equipmentId }, "equipmentId", reason);
  });

  it("rejects a missing equipmentId", () => {
    expectRejected({ value: GOOD.value, timestamp: GOOD.timestamp }, "equipmentId", "equipmentId is missing");
  });

  it("rejects a leading space in JSON, where nothing is trimmed", () => {
    expectRejected(
      { ...GOOD, equipmentId: " EQ-1" },
      "equipmentId",
      'must start with a letter or digit, not " "',
    );
  });

  it("is case-sensitive: EQ-1 and eq-1 are two sensors", () => {
    const upper = accepted({ ...GOOD, equipmentId: "EQ-1" });
    const lower = accepted({ ...GOOD, equipmentId: "eq-1" });
    expect(upper.equipmentId).toBe("EQ-1");
    expect(lower.equipmentId).toBe("eq-1");
    expect(upper.ts).toBe(lower.ts);
  });
});

describe("identity and the stored form", () => {
  it("is the instant, whatever offset or extra digits it was written with", () => {
    const written = [
      "2023-02-15T01:30:00.000-05:00",
      "2023-02-15T06:30:00Z",
      "2023-02-15t06:30:00.000999z",
      "2023-02-15T12:15:00+05:45",
    ];
    const stored = written.map((timestamp) => accepted({ ...GOOD, timestamp }));
    expect(new Set(stored.map((r) => `${r.equipmentId}|${r.ts}`)).size).toBe(1);
  });

  it("answers in UTC with milliseconds and the value as a JSON number", () => {
    expect(formatReading(accepted(GOOD))).toEqual({
      equipmentId: "EQ-12495",
      value: 78.42,
      timestamp: "2023-02-15T06:30:00.000Z",
    });
  });

  it("keeps exact hundredths: 78.42 is stored as the integer 7842", () => {
    expect(accepted(GOOD)).toEqual({
      equipmentId: "EQ-12495",
      ts: Date.UTC(2023, 1, 15, 6, 30),
      centi: 7842,
    });
  });
});

describe("payload shape", () => {
  const notAReading: [name: string, payload: unknown, shown: string][] = [
    ["a string", "hello", 'got the string "hello"'],
    ["a long string, clipped", "x".repeat(500), `got the string "${"x".repeat(20)}…"`],
    ["a number", 42, "got a number"],
    ["a boolean", true, "got a boolean"],
    ["null", null, "got null"],
    ["nothing", undefined, "got nothing"],
    ["an array, to parseReading", [GOOD], "got an array"],
  ];

  it.each(notAReading)("rejects %s as a whole", (_name, payload, shown) => {
    expectRejected(
      payload,
      "reading",
      `a reading must be a JSON object {equipmentId, value, timestamp}, ${shown}`,
    );
  });

  it("reports every bad field of one reading at once", () => {
    expect(rejections({ equipmentId: "", value: "x", timestamp: "2023" })).toEqual([
      { field: "equipmentId", reason: "equipmentId is empty" },
      { field: "value", reason: expect.stringContaining("must be a JSON number") },
      { field: "timestamp", reason: expect.stringContaining("not an RFC 3339 date-time") },
    ]);
  });

  it("rejects an empty object by naming all three fields", () => {
    expect(rejections({}).map((r) => r.field)).toEqual(["equipmentId", "value", "timestamp"]);
  });
});

describe("parseReadings: one reading or an array", () => {
  const good = (n: number) => ({ ...GOOD, equipmentId: `EQ-${n}` });

  it("takes a single object", () => {
    expect(parseReadings(GOOD, LATE)).toEqual({ readings: [accepted(GOOD)], rejections: [] });
  });

  it("reports a single bad object without an index", () => {
    expect(parseReadings({ ...GOOD, value: null }, LATE)).toEqual({
      readings: [],
      rejections: [{ field: "value", reason: "value must be a JSON number, got null" }],
    });
  });

  it("reports a payload that is neither an object nor an array", () => {
    expect(parseReadings("78.42", LATE).rejections).toEqual([
      { field: "reading", reason: expect.stringContaining('got the string "78.42"') },
    ]);
  });

  it("rejects an empty array with a reason", () => {
    expect(parseReadings([], LATE)).toEqual({
      readings: [],
      rejections: [{ field: "readings", reason: "the array is empty; send at least one reading" }],
    });
  });

  it("keeps the order of an all-good array", () => {
    const { readings, rejections } = parseReadings([good(1), good(2), good(3)], LATE);
    expect(rejections).toEqual([]);
    expect(readings.map((r) => r.equipmentId)).toEqual(["EQ-1", "EQ-2", "EQ-3"]);
  });

  it("reports each bad item of a mixed array by index, and keeps the good ones", () => {
    const { readings, rejections } = parseReadings(
      [
        good(0),
        { ...good(1), value: "7" },
        good(2),
        42,
        { ...good(4), timestamp: "2023-02-15T01:30:00" },
        { ...good(5), equipmentId: "EQ/5", value: Number.NaN },
        good(6),
      ],
      LATE,
    );
    expect(readings.map((r) => r.equipmentId)).toEqual(["EQ-0", "EQ-2", "EQ-6"]);
    expect(rejections).toEqual([
      { index: 1, field: "value", reason: expect.stringContaining('got the string "7"') },
      { index: 3, field: "reading", reason: expect.stringContaining("got a number") },
      { index: 4, field: "timestamp", reason: expect.stringContaining("has no UTC offset") },
      { index: 5, field: "equipmentId", reason: expect.stringContaining('contains "/"') },
      { index: 5, field: "value", reason: "value is NaN; send a finite number" },
    ]);
  });

  it("reports a nested array as a bad item", () => {
    expect(parseReadings([[GOOD]], LATE).rejections).toEqual([
      { index: 0, field: "reading", reason: expect.stringContaining("got an array") },
    ]);
  });
});

describe("CSV header", () => {
  const valid: [name: string, fields: string[], positions: CsvHeader["positions"], extra: string[]][] = [
    [
      "the documented order",
      ["equipmentId", "timestamp", "value"],
      { equipmentId: 0, timestamp: 1, value: 2 },
      [],
    ],
    ["another order", ["value", "equipmentId", "timestamp"], { equipmentId: 1, timestamp: 2, value: 0 }, []],
    ["any case", ["EQUIPMENTID", "TimeStamp", "VALUE"], { equipmentId: 0, timestamp: 1, value: 2 }, []],
    [
      "padding spaces",
      [" equipmentId ", "\ttimestamp", "value  "],
      { equipmentId: 0, timestamp: 1, value: 2 },
      [],
    ],
    [
      "a UTF-8 byte order mark",
      ["\uFEFFequipmentId", "timestamp", "value"],
      { equipmentId: 0, timestamp: 1, value: 2 },
      [],
    ],
    [
      "extra columns, reported",
      ["site", "equipmentId", "unit", "timestamp", "value"],
      { equipmentId: 1, timestamp: 3, value: 4 },
      ["site", "unit"],
    ],
    [
      "a BOM on an extra first column",
      ["\uFEFF site ", "equipmentId", "timestamp", "value"],
      { equipmentId: 1, timestamp: 2, value: 3 },
      ["site"],
    ],
  ];

  it.each(valid)("accepts %s", (_name, fields, positions, extra) => {
    expect(parseCsvHeader(fields)).toEqual({ ok: true, header: { positions, extra, width: fields.length } });
  });

  const invalid: [name: string, fields: string[], reason: string][] = [
    ["a duplicate column", ["equipmentId", "timestamp", "value", "Value"], 'names column "value" twice'],
    ["a missing column", ["equipmentId", "timestamp"], "the header lacks column value; expected equipmentId"],
    ["two missing columns", ["id", "time", "value"], "lacks columns equipmentId, timestamp"],
    ["no columns", [], "lacks columns equipmentId, timestamp, value"],
    ["a semicolon-separated header", ["equipmentId;timestamp;value"], 'found "equipmentid;timestamp;value"'],
  ];

  it.each(invalid)("rejects %s", (_name, fields, reason) => {
    expect(parseCsvHeader(fields)).toEqual({ ok: false, reason: expect.stringContaining(reason) });
  });
});

describe("CSV row", () => {
  const TS = "2023-02-15T06:30:00Z";
  const stored = { equipmentId: "EQ-1", ts: Date.parse(TS), centi: 7842 };

  it("accepts a well-formed row", () => {
    expect(csvRow(["EQ-1", TS, "78.42"])).toEqual({ ok: true, reading: stored });
  });

  it("trims padding spaces from every field", () => {
    expect(csvRow(["  EQ-1 ", ` ${TS}  `, " 78.42"])).toEqual({ ok: true, reading: stored });
  });

  it("reads the columns where the header put them, ignoring extra ones", () => {
    const reordered = header(["value", "note", "timestamp", "equipmentId"]);
    expect(csvRow(["78.42", "anything, even 78,42", TS, "EQ-1"], reordered)).toEqual({
      ok: true,
      reading: stored,
    });
  });

  const invalid: [name: string, fields: string[], field: string, reason: string][] = [
    ["too few fields", ["EQ-1", TS], "row", "the row has 2 fields; the header has 3"],
    ["too many fields", ["EQ-1", TS, "78.42", "x"], "row", "the row has 4 fields; the header has 3"],
    ["an unquoted decimal comma, split in two", ["EQ-1", TS, "78", "42"], "row", "has 4 fields"],
    ["an empty line", [""], "row", "the row has 1 field; the header has 3"],
    ["an empty equipmentId", ["", TS, "78.42"], "equipmentId", "equipmentId is empty"],
    ["an equipmentId of spaces", ["   ", TS, "78.42"], "equipmentId", "equipmentId is empty"],
    ["an empty timestamp", ["EQ-1", "", "78.42"], "timestamp", "timestamp is empty"],
    ["an empty value", ["EQ-1", TS, ""], "value", "value is empty"],
    [
      "a timestamp without offset",
      ["EQ-1", "2023-02-15T06:30:00", "78.42"],
      "timestamp",
      "has no UTC offset",
    ],
    ["a space instead of T", ["EQ-1", "2023-02-15 06:30:00Z", "78.42"], "timestamp", 'found " "'],
    ["a bad equipmentId", ["EQ 1", TS, "78.42"], "equipmentId", 'contains " " at position 3'],
    ["a decimal comma", ["EQ-1", TS, "78,42"], "value", "use a point, not a comma"],
  ];

  it.each(invalid)("rejects %s", (_name, fields, field, reason) => {
    expectCsvRejected(fields, field, reason);
  });
});
