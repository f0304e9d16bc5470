/**
 * RFC 3339 timestamps with a mandatory UTC offset, parsed to epoch milliseconds.
 *
 * Hand-written rather than `Date.parse`, because Date.parse accepts what the contract rejects
 * (no offset → local time, 2023-02-30 → March 2) and its reasons are all the same "Invalid Date".
 */

const SHAPE =
  /^(?<year>\d{4})-(?<month>\d{2})-(?<day>\d{2})(?<sep>.)(?<hour>\d{2}):(?<minute>\d{2}):(?<second>\d{2})(?<fraction>\.\d*)?(?<offset>.*)$/s;

export type TimestampResult = { ok: true; ms: number } | { ok: false; reason: string };

const fail = (reason: string): TimestampResult => ({ ok: false, reason });

function daysInMonth(year: number, month: number): number {
  const leap = (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0;
  return [31, leap ? 29 : 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31][month - 1] ?? 0;
}

/** Parses the offset part (`Z`, `z`, `+05:45`, `-00:00`) into minutes east of UTC. */
function parseOffset(text: string): { ok: true; minutes: number } | { ok: false; reason: string } {
  if (text === "Z" || text === "z") return { ok: true, minutes: 0 };
  if (text === "") {
    return {
      ok: false,
      reason: "timestamp has no UTC offset; add Z or ±hh:mm (e.g. 2023-02-15T01:30:00-05:00)",
    };
  }
  const m = /^([+-])(\d{2}):(\d{2})$/.exec(text);
  if (!m) {
    return { ok: false, reason: `timestamp offset ${quote(text)} is not Z or ±hh:mm` };
  }
  const hours = Number(m[2]);
  const minutes = Number(m[3]);
  if (hours > 23) return { ok: false, reason: `timestamp offset hour ${m[2]} is out of range 00-23` };
  if (minutes > 59) return { ok: false, reason: `timestamp offset minute ${m[3]} is out of range 00-59` };
  const sign = m[1] === "-" ? -1 : 1;
  return { ok: true, minutes: sign * (hours * 60 + minutes) };
}

/**
 * Parses an RFC 3339 date-time to epoch milliseconds, inside the accepted range below. Fraction digits
 * below the millisecond are truncated (the contract's precision), so `…00.1239Z` and `…00.123Z` are
 * the same instant.
 */
export function parseTimestamp(text: string): TimestampResult {
  const ms = validInstant(text);
  return ms === undefined ? parseWithReasons(text) : { ok: true, ms };
}

/**
 * The instant of a valid timestamp, read character by character; undefined for anything else, which
 * `parseWithReasons` then explains. Every reading of a file or batch goes through here, and the
 * regular expression's match and groups made parsing a timestamp cost more than storing it in a
 * backfill (docs/performance.md, "Backfill").
 */
export function validInstant(text: string): number | undefined {
  const n = text.length;
  if (n < 20 || n > 35) return undefined;
  if (text.charCodeAt(4) !== DASH || text.charCodeAt(7) !== DASH) return undefined;
  if (text.charCodeAt(10) !== T_UPPER && text.charCodeAt(10) !== T_LOWER) return undefined;
  if (text.charCodeAt(13) !== COLON || text.charCodeAt(16) !== COLON) return undefined;
  const year = digitsAt(text, 0, 4);
  const month = digitsAt(text, 5, 2);
  const day = digitsAt(text, 8, 2);
  const hour = digitsAt(text, 11, 2);
  const minute = digitsAt(text, 14, 2);
  const second = digitsAt(text, 17, 2);
  if (year < 0 || month < 1 || month > 12 || day < 1 || day > daysInMonth(year, month)) return undefined;
  if (hour < 0 || hour > 23 || minute < 0 || minute > 59 || second < 0 || second > 59) return undefined;
  let at = 19;
  let ms = 0;
  if (text.charCodeAt(at) === POINT) {
    const first = ++at;
    for (
      let digit = text.charCodeAt(at) - ZERO;
      digit >= 0 && digit <= 9;
      digit = text.charCodeAt(++at) - ZERO
    ) {
      if (at - first < 3) ms = ms * 10 + digit;
    }
    const count = at - first;
    if (count === 0 || count > 9) return undefined;
    for (let k = count; k < 3; k++) ms *= 10;
  }
  let offsetMinutes: number;
  const sign = text.charCodeAt(at);
  if ((sign === Z_UPPER || sign === Z_LOWER) && at + 1 === n) {
    offsetMinutes = 0;
  } else if ((sign === PLUS || sign === MINUS) && at + 6 === n && text.charCodeAt(at + 3) === COLON) {
    const hours = digitsAt(text, at + 1, 2);
    const minutes = digitsAt(text, at + 4, 2);
    if (hours < 0 || hours > 23 || minutes < 0 || minutes > 59) return undefined;
    offsetMinutes = hours * 60 + minutes;
    if (sign === MINUS) offsetMinutes = -offsetMinutes;
  } else {
    return undefined;
  }
  const instant =
    daysFromCivil(year, month, day) * DAY_MS +
    ((hour * 60 + minute - offsetMinutes) * 60 + second) * 1000 +
    ms;
  return instant < EARLIEST_INSTANT_MS || instant >= INSTANTS_END_MS ? undefined : instant;
}

const ZERO = 0x30;
const DASH = 0x2d;
const COLON = 0x3a;
const POINT = 0x2e;
const PLUS = 0x2b;
const MINUS = 0x2d;
const T_UPPER = 0x54;
const T_LOWER = 0x74;
const Z_UPPER = 0x5a;
const Z_LOWER = 0x7a;

/** The decimal number of `count` digits at `at`, or -1 if any of them is not a digit. */
function digitsAt(text: string, at: number, count: number): number {
  let value = 0;
  for (let i = at; i < at + count; i++) {
    const digit = text.charCodeAt(i) - ZERO;
    if (!(digit >= 0 && digit <= 9)) return -1;
    value = value * 10 + digit;
  }
  return value;
}

/** Days from 1970-01-01 to a proleptic Gregorian date (H. Hinnant's days_from_civil). */
function daysFromCivil(year: number, month: number, day: number): number {
  const y = month <= 2 ? year - 1 : year;
  const era = Math.floor(y / 400);
  const yearOfEra = y - era * 400;
  const dayOfYear = Math.floor((153 * (month > 2 ? month - 3 : month + 9) + 2) / 5) + day - 1;
  const dayOfEra = yearOfEra * 365 + Math.floor(yearOfEra / 4) - Math.floor(yearOfEra / 100) + dayOfYear;
  return era * 146_097 + dayOfEra - 719_468;
}

/** The whole parse, with a reason for each way a timestamp can be wrong. */
function parseWithReasons(text: string): TimestampResult {
  const m = SHAPE.exec(text);
  if (!m?.groups) {
    return fail(`timestamp ${quote(text)} is not an RFC 3339 date-time like 2023-02-15T01:30:00.000-05:00`);
  }
  const g = m.groups as Record<string, string | undefined>;
  if (g.sep !== "T" && g.sep !== "t") {
    return fail(`timestamp must separate date and time with "T", found ${quote(g.sep ?? "")}`);
  }
  const year = Number(g.year);
  const month = Number(g.month);
  const day = Number(g.day);
  const hour = Number(g.hour);
  const minute = Number(g.minute);
  const second = Number(g.second);
  if (month < 1 || month > 12) return fail(`timestamp month ${g.month} is out of range 01-12`);
  const maxDay = daysInMonth(year, month);
  if (day < 1 || day > maxDay) {
    return fail(`timestamp day ${g.day} does not exist in ${g.year}-${g.month} (it has ${maxDay} days)`);
  }
  if (hour > 23) return fail(`timestamp hour ${g.hour} is out of range 00-23`);
  if (minute > 59) return fail(`timestamp minute ${g.minute} is out of range 00-59`);
  if (second === 60) return fail("timestamp second 60 (a leap second) is not accepted; use 59.999");
  if (second > 59) return fail(`timestamp second ${g.second} is out of range 00-59`);

  const fraction = g.fraction ?? "";
  if (fraction === ".") return fail("timestamp has a decimal point but no fraction digits");
  if (fraction.length > 10) return fail("timestamp has more than 9 fraction digits");
  const ms = fraction === "" ? 0 : Number(fraction.slice(1, 4).padEnd(3, "0"));

  const offset = parseOffset(g.offset ?? "");
  if (!offset.ok) return offset;

  const date = new Date(0);
  // setUTCFullYear, not Date.UTC: Date.UTC maps years 0-99 to 1900-1999.
  date.setUTCFullYear(year, month - 1, day);
  date.setUTCHours(hour, minute, second, ms);
  const instant = date.getTime() - offset.minutes * 60_000;
  const outside = instantRangeProblem(instant);
  if (outside !== undefined) return fail(`timestamp ${quote(text)} ${outside}`);
  return { ok: true, ms: instant };
}

/**
 * The instants plantlink accepts, for readings and for every query parameter that names an instant:
 * `EARLIEST_INSTANT_MS <= t < INSTANTS_END_MS`. A device whose clock lost its battery says 1970 or
 * 2000 or year 0001; PostgreSQL has no year 0 and JavaScript dates stop at ±275,760 years, so a wider
 * range only lets wrong clocks in and breaks every answer that later formats such an instant.
 */
export const EARLIEST_INSTANT_MS = 0;
/** The first instant past the accepted range (exclusive). */
export const INSTANTS_END_MS = 7_258_118_400_000;
export const EARLIEST_INSTANT = "1970-01-01T00:00:00Z";
export const INSTANTS_END = "2200-01-01T00:00:00Z";

/**
 * Why `ms` is outside the accepted range, worded to follow the thing it describes (`timestamp "…"`,
 * `at`), or undefined when it is inside.
 */
export function instantRangeProblem(ms: number): string | undefined {
  if (ms < EARLIEST_INSTANT_MS) return `is before ${EARLIEST_INSTANT}, the earliest plantlink accepts`;
  if (ms >= INSTANTS_END_MS) {
    return `is at or after ${INSTANTS_END}, the end of the range plantlink accepts`;
  }
  return undefined;
}

/**
 * The instants `formatTimestamp` writes itself: those with an RFC 3339 form in UTC. Wider than the
 * accepted range, because a window and its baseline reach back weeks before the `at` they end at.
 */
const MIN_INSTANT_MS = -62_167_219_200_000; // 0000-01-01T00:00:00.000Z
const MAX_INSTANT_MS = 253_402_300_799_999; // 9999-12-31T23:59:59.999Z

const DAY_MS = 86_400_000;
const TWO_DIGITS = Array.from({ length: 100 }, (_, i) => String(i).padStart(2, "0"));
const THREE_DIGITS = Array.from({ length: 1000 }, (_, i) => String(i).padStart(3, "0"));
/** `YYYY-MM-DDT` by UTC day number; answers name few distinct days, so this stays small. */
const datePrefixes = new Map<number, string>();

/**
 * Formats epoch milliseconds the way every API answers: UTC, milliseconds, `Z` — exactly
 * `Date.prototype.toISOString`. An answer for 2,000 sensors formats 4,000 instants; building a `Date`
 * for each cost ~0.6 µs, the time of day from integers and a cached date costs a fraction of that.
 */
export function formatTimestamp(ms: number): string {
  if (!Number.isInteger(ms) || ms < MIN_INSTANT_MS || ms > MAX_INSTANT_MS) return new Date(ms).toISOString();
  const day = Math.floor(ms / DAY_MS);
  let prefix = datePrefixes.get(day);
  if (prefix === undefined) {
    if (datePrefixes.size >= 1024) datePrefixes.clear();
    prefix = new Date(day * DAY_MS).toISOString().slice(0, 11);
    datePrefixes.set(day, prefix);
  }
  const inDay = ms - day * DAY_MS;
  const seconds = Math.floor(inDay / 1000);
  return `${prefix}${TWO_DIGITS[Math.floor(seconds / 3600)]}:${TWO_DIGITS[Math.floor(seconds / 60) % 60]}:${TWO_DIGITS[seconds % 60]}.${THREE_DIGITS[inDay % 1000]}Z`;
}

/**
 * The text as a JSON string, clipped: a reason is stored (an edge batch's answer, an upload report, both
 * jsonb) and shown, so a NUL or an unpaired surrogate in it must be an escape, never the raw character.
 */
function quote(text: string): string {
  return JSON.stringify(text.length > 40 ? `${text.slice(0, 40)}…` : text);
}
