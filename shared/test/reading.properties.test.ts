/**
 * Properties of the reading model, checked on random inputs with fast-check. Expected results are
 * computed here independently (BigInt decimal arithmetic, hand-built RFC 3339 text), never by calling
 * the code under test.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  centiTextToNumber,
  centiToNumber,
  centiToString,
  decimalToCenti,
  EQUIPMENT_ID_PATTERN,
  formatReading,
  formatTimestamp,
  numberToCenti,
  parseCsvHeader,
  parseCsvRow,
  parseReading,
  parseTimestamp,
  plainDecimalCenti,
  type Reading,
  type ValidationOptions,
  validInstant,
} from "../src/index.ts";

const RUNS = { numRuns: 2_000 };

/** The instants formatTimestamp writes itself: every year 0000-9999. */
const FIRST_MS = -62_167_219_200_000; // 0000-01-01T00:00:00.000Z (Date.UTC cannot say year 0)
const LAST_MS = Date.UTC(9999, 11, 31, 23, 59, 59, 999);
/** The instants a reading may have: 1970-01-01T00:00:00.000Z <= t < 2200-01-01T00:00:00.000Z. */
const ACCEPTED_FIRST_MS = Date.UTC(1970, 0, 1);
const ACCEPTED_LAST_MS = Date.UTC(2200, 0, 1) - 1;
const DAY_MS = 86_400_000;
const CENTI_LIMIT = 100_000_000_000_000; // 1e12 in hundredths

/** Only the future-skew cases care about the clock; these properties run it at the end of time. */
const LATE: ValidationOptions = { now: () => LAST_MS };

const csvHeader = (() => {
  const result = parseCsvHeader(["equipmentId", "timestamp", "value"]);
  if (!result.ok) throw new Error(result.reason);
  return result.header;
})();

const equipmentIds = fc.stringMatching(EQUIPMENT_ID_PATTERN);
const instants = fc.integer({ min: FIRST_MS, max: LAST_MS });
const acceptedInstants = fc.integer({ min: ACCEPTED_FIRST_MS, max: ACCEPTED_LAST_MS });
const centis = fc.integer({ min: -(CENTI_LIMIT - 1), max: CENTI_LIMIT - 1 });
const readings: fc.Arbitrary<Reading> = fc.record({
  equipmentId: equipmentIds,
  ts: acceptedInstants,
  centi: centis,
});

describe("a stored reading", () => {
  it("parses back to itself after formatReading, also through JSON text", () => {
    expect(new Date(FIRST_MS).toISOString()).toBe("0000-01-01T00:00:00.000Z");
    fc.assert(
      fc.property(readings, (reading) => {
        const wire = JSON.parse(JSON.stringify(formatReading(reading))) as unknown;
        expect(parseReading(wire, LATE)).toEqual({ ok: true, reading });
      }),
      RUNS,
    );
  });
});

describe("formatTimestamp", () => {
  // Its own arithmetic with a cache of dates: it must say exactly what the built-in formatter says.
  it("equals toISOString for every instant, near midnight and outside the range too", () => {
    const nearMidnight = fc
      .tuple(
        fc.integer({ min: FIRST_MS / DAY_MS, max: Math.ceil(LAST_MS / DAY_MS) }),
        fc.integer({ min: -2, max: 2 }),
      )
      .map(([day, ms]) => day * DAY_MS + ms)
      .filter((ms) => ms >= FIRST_MS && ms <= LAST_MS);
    fc.assert(
      fc.property(fc.oneof(instants, nearMidnight), (ms) => {
        expect(formatTimestamp(ms)).toBe(new Date(ms).toISOString());
      }),
      { numRuns: 20_000 },
    );
    for (const ms of [FIRST_MS, LAST_MS, 0, -1, 1.5, FIRST_MS - 1, LAST_MS + 1]) {
      expect(formatTimestamp(ms)).toBe(new Date(ms).toISOString());
    }
  });
});

/**
 * A random decimal numeral: sign, integer digits, fraction digits and an optional exponent, with the
 * exact value as a BigInt mantissa and a power of ten.
 */
const decimals = fc
  .record({
    sign: fc.constantFrom("", "-", "+"),
    intDigits: fc.string({ unit: fc.constantFrom(..."0123456789"), maxLength: 14 }),
    fracDigits: fc.option(fc.string({ unit: fc.constantFrom(..."0123456789"), maxLength: 22 })),
    exponent: fc.option(fc.integer({ min: -30, max: 16 })),
    e: fc.constantFrom("e", "E"),
  })
  .filter(({ intDigits, fracDigits }) => intDigits !== "" || (fracDigits ?? "") !== "")
  .map(({ sign, intDigits, fracDigits, exponent, e }) => ({
    text: `${sign}${intDigits}${fracDigits === null ? "" : `.${fracDigits}`}${exponent === null ? "" : `${e}${exponent}`}`,
    negative: sign === "-",
    mantissa: BigInt(`${intDigits}${fracDigits ?? ""}` || "0"),
    scale: (exponent ?? 0) - (fracDigits ?? "").length,
  }));

/** value × 100 rounded half away from zero, by exact integer division; undefined when out of range. */
function expectedCenti(mantissa: bigint, scale: number, negative: boolean): number | undefined {
  // value = mantissa × 10^scale, so value × 100 = mantissa × 10^(scale + 2).
  const power = scale + 2;
  let magnitude: bigint;
  if (power >= 0) {
    magnitude = mantissa * 10n ** BigInt(power);
  } else {
    const divisor = 10n ** BigInt(-power);
    const quotient = mantissa / divisor;
    const remainder = mantissa % divisor;
    magnitude = 2n * remainder >= divisor ? quotient + 1n : quotient;
  }
  if (magnitude >= BigInt(CENTI_LIMIT)) return undefined;
  return magnitude === 0n ? 0 : Number(negative ? -magnitude : magnitude);
}

function significantDigits(mantissa: bigint): number {
  return mantissa === 0n ? 0 : mantissa.toString().replace(/0+$/, "").length;
}

describe("rounding to hundredths", () => {
  it("agrees with exact decimal arithmetic on random decimal text (the CSV path)", () => {
    fc.assert(
      fc.property(decimals, ({ text, negative, mantissa, scale }) => {
        const expected = expectedCenti(mantissa, scale, negative);
        const direct = decimalToCenti(text);
        const row = parseCsvRow(["EQ-1", "2023-02-15T06:30:00Z", text], csvHeader, LATE);
        if (expected === undefined) {
          expect(direct).toEqual({ ok: false, reason: expect.stringContaining("out of range") });
          expect(row).toMatchObject({ ok: false, field: "value" });
        } else {
          expect(direct).toEqual({ ok: true, centi: expected });
          expect(row.ok && row.reading.centi).toBe(expected);
        }
      }),
      RUNS,
    );
  });

  it("agrees with exact decimal arithmetic on the JSON number a device sends (≤ 15 significant digits)", () => {
    // A decimal of at most 15 significant digits survives the trip through a double: the number's
    // shortest text is that decimal, so rounding must act on what the device wrote.
    const jsonDecimals = decimals.filter(({ mantissa }) => significantDigits(mantissa) <= 15);
    fc.assert(
      fc.property(jsonDecimals, ({ negative, mantissa, scale }) => {
        // The same decimal as JSON allows it (no leading zeros, no bare point), e.g. -7842e-2.
        const value = JSON.parse(`${negative ? "-" : ""}${mantissa}e${scale}`) as number;
        const expected = expectedCenti(mantissa, scale, negative);
        const result = parseReading({ equipmentId: "EQ-1", value, timestamp: "2023-02-15T06:30:00Z" }, LATE);
        if (expected === undefined) {
          expect(result).toMatchObject({ ok: false, rejections: [{ field: "value" }] });
        } else {
          expect(result.ok && result.reading.centi).toBe(expected);
        }
      }),
      RUNS,
    );
  });

  it("never stores -0", () => {
    fc.assert(
      fc.property(fc.double({ min: -0.00499, max: 0.00499, noNaN: true }), (value) => {
        const result = numberToCenti(value);
        expect(result.ok && Object.is(result.centi, 0)).toBe(true);
      }),
      RUNS,
    );
  });
});

/** Hand-built RFC 3339 text for an instant seen from `offsetMinutes` east of UTC. */
function writeInstant(
  ms: number,
  offsetMinutes: number,
  fraction: string,
  t: string,
  zulu: string,
  negativeZero: boolean,
): string {
  const local = new Date(ms + offsetMinutes * 60_000);
  const two = (n: number) => String(n).padStart(2, "0");
  const date = `${String(local.getUTCFullYear()).padStart(4, "0")}-${two(local.getUTCMonth() + 1)}-${two(local.getUTCDate())}`;
  const time = `${two(local.getUTCHours())}:${two(local.getUTCMinutes())}:${two(local.getUTCSeconds())}`;
  const abs = Math.abs(offsetMinutes);
  const offset =
    offsetMinutes === 0 && zulu !== ""
      ? zulu
      : `${offsetMinutes < 0 || (offsetMinutes === 0 && negativeZero) ? "-" : "+"}${two(Math.trunc(abs / 60))}:${two(abs % 60)}`;
  return `${date}${t}${time}${fraction === "" ? "" : `.${fraction}`}${offset}`;
}

describe("an instant written with any offset", () => {
  it("parses to the same instant, truncated to the millisecond", () => {
    const written = fc.record({
      ms: acceptedInstants,
      offsetMinutes: fc.oneof(fc.integer({ min: -(23 * 60 + 59), max: 23 * 60 + 59 }), fc.constant(0)),
      fractionDigits: fc.integer({ min: 0, max: 9 }),
      below: fc.string({ unit: fc.constantFrom(..."0123456789"), minLength: 6, maxLength: 6 }),
      t: fc.constantFrom("T", "t"),
      zulu: fc.constantFrom("Z", "z", ""),
      negativeZero: fc.boolean(),
    });
    fc.assert(
      fc.property(written, ({ ms, offsetMinutes, fractionDigits, below, t, zulu, negativeZero }) => {
        const millis = String(((ms % 1000) + 1000) % 1000).padStart(3, "0");
        const fraction = `${millis}${below}`.slice(0, fractionDigits);
        // Fewer than 3 digits cannot say the whole millisecond: the instant is the one they do say.
        const expected = ms - (((ms % 1000) + 1000) % 1000) + Number(fraction.slice(0, 3).padEnd(3, "0"));
        const text = writeInstant(ms, offsetMinutes, fraction, t, zulu, negativeZero);
        expect(parseTimestamp(text)).toEqual({ ok: true, ms: expected });
      }),
      RUNS,
    );
  });
});

describe("the character-by-character timestamp reader", () => {
  const digits = (min: number, max: number) =>
    fc.integer({ min, max }).map((n) => String(n).padStart(2, "0"));
  const near = fc.record({
    // Mostly years around the accepted range, so both of its ends are met often.
    year: fc.oneof(fc.integer({ min: 1965, max: 2205 }), fc.integer({ min: 0, max: 9999 })),
    month: digits(0, 19),
    day: digits(0, 39),
    sep: fc.constantFrom("T", "t", " ", "x"),
    hour: digits(0, 29),
    minute: digits(0, 69),
    second: digits(0, 69),
    fraction: fc.oneof(
      fc.constant(""),
      fc.string({ unit: fc.constantFrom(..."0123456789"), maxLength: 11 }).map((d) => `.${d}`),
    ),
    offset: fc.oneof(
      fc.constantFrom("Z", "z", "", "+0530", "+05:3", "UTC"),
      fc.tuple(fc.constantFrom("+", "-"), digits(0, 29), digits(0, 69)).map(([s, h, m]) => `${s}${h}:${m}`),
    ),
  });

  it("accepts exactly the valid timestamps, at the instant they name, and leaves the rest to the full parse", () => {
    fc.assert(
      fc.property(near, (t) => {
        const text = `${String(t.year).padStart(4, "0")}-${t.month}-${t.day}${t.sep}${t.hour}:${t.minute}:${t.second}${t.fraction}${t.offset}`;
        const [month, day, hour, minute, second] = [t.month, t.day, t.hour, t.minute, t.second].map(
          Number,
        ) as [number, number, number, number, number];
        const offset = /^([+-])(\d{2}):(\d{2})$/.exec(t.offset);
        const offsetMinutes = offset
          ? (offset[1] === "-" ? -1 : 1) * (Number(offset[2]) * 60 + Number(offset[3]))
          : 0;
        const date = new Date(0);
        date.setUTCFullYear(t.year, month - 1, day);
        date.setUTCHours(hour, minute, second, Number(t.fraction.slice(1, 4).padEnd(3, "0")));
        const instant = date.getTime() - offsetMinutes * 60_000;
        const valid =
          month >= 1 &&
          month <= 12 &&
          date.getUTCDate() === day &&
          hour <= 23 &&
          minute <= 59 &&
          second <= 59 &&
          (t.sep === "T" || t.sep === "t") &&
          t.fraction.length !== 1 &&
          t.fraction.length <= 10 &&
          (t.offset === "Z" ||
            t.offset === "z" ||
            (offset !== null && Number(offset[2]) <= 23 && Number(offset[3]) <= 59)) &&
          instant >= ACCEPTED_FIRST_MS &&
          instant <= ACCEPTED_LAST_MS;
        expect(validInstant(text)).toBe(valid ? instant : undefined);
        expect(parseTimestamp(text).ok).toBe(valid);
      }),
      { numRuns: 20_000 },
    );
  });
});

describe("the plain decimal reader", () => {
  const near = fc
    .tuple(
      fc.constantFrom("", "-", "+", " "),
      fc.string({ unit: fc.constantFrom(..."0123456789"), maxLength: 14 }),
      fc.constantFrom("", ".", ",", "e"),
      fc.string({ unit: fc.constantFrom(..."0123456789"), maxLength: 3 }),
    )
    .map((parts) => parts.join(""));

  it("reads exactly the plain decimals of at most 12 and 2 digits, as their hundredths", () => {
    fc.assert(
      fc.property(near, (text) => {
        const m = /^([+-]?)(\d{1,12})(?:\.(\d{0,2}))?$/.exec(text);
        if (!m) {
          expect(plainDecimalCenti(text)).toBeUndefined();
          return;
        }
        const said = BigInt(m[2] ?? "") * 100n + BigInt((m[3] ?? "").padEnd(2, "0"));
        const centi = Number(m[1] === "-" ? -said : said);
        expect(plainDecimalCenti(text)).toBe(centi === 0 ? 0 : centi);
        expect(decimalToCenti(text)).toEqual({ ok: true, centi: centi === 0 ? 0 : centi });
      }),
      { numRuns: 20_000 },
    );
  });
});

describe("centi as a JSON number", () => {
  it("comes back as the same centi through JSON text, printed as the exact decimal", () => {
    fc.assert(
      fc.property(centis, (centi) => {
        const text = JSON.stringify({ value: centiToNumber(centi) });
        const m = /^\{"value":(-?)(\d+)(?:\.(\d{1,2}))?\}$/.exec(text);
        expect(m, `${centi} printed as ${text}`).not.toBeNull();
        const [, sign = "", int = "", frac = ""] = m ?? [];
        // The exact decimal the text says, in hundredths: no 78.41999 and no 1e-7 notation.
        const said = BigInt(int) * 100n + BigInt(frac.padEnd(2, "0"));
        expect(sign === "-" ? -said : said).toBe(BigInt(centi));
        const value = (JSON.parse(text) as { value: number }).value;
        expect(numberToCenti(value)).toEqual({ ok: true, centi });
      }),
      RUNS,
    );
  });

  it("prints as exact decimal text that reads back to the same centi", () => {
    fc.assert(
      fc.property(centis, (centi) => {
        const text = centiToString(centi);
        expect(text).toMatch(/^-?\d+\.\d{2}$/);
        expect(decimalToCenti(text)).toEqual({ ok: true, centi });
      }),
      RUNS,
    );
  });

  it("reads hundredths written as integer text of any size as the number nearest their value", () => {
    fc.assert(
      fc.property(fc.bigInt({ min: -(10n ** 30n), max: 10n ** 30n }), (centi) => {
        const abs = centi < 0n ? -centi : centi;
        const decimal = `${centi < 0n ? "-" : ""}${abs / 100n}.${String(abs % 100n).padStart(2, "0")}`;
        expect(centiTextToNumber(centi.toString())).toBe(Number(decimal));
        // Below 2^53 hundredths, one division is as exact.
        if (abs < 2n ** 53n) expect(centiTextToNumber(centi.toString())).toBe(Number(centi) / 100);
      }),
      { ...RUNS, examples: [[0n], [5n], [-5n], [-100n], [2n ** 60n + 1n]] },
    );
  });
});
