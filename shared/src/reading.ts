/**
 * The reading: its wire format, and the one set of rules that decides whether a reading is accepted —
 * for MQTT payloads, HTTP bodies and CSV rows alike (DESIGN.md section 2).
 */
import { z } from "zod";
import { equipmentIdProblem } from "./equipment-id.ts";
import { formatTimestamp, parseTimestamp } from "./timestamp.ts";
import { centiToNumber, numberToCenti } from "./value.ts";

export const DEFAULT_MAX_FUTURE_SKEW_MS = 5 * 60_000;

export interface ValidationOptions {
  /** The clock for the future-skew check; injected so tests and replays are deterministic. */
  now?: () => number;
  /** How far in the future a timestamp may be before it is rejected. */
  maxFutureSkewMs?: number;
}

/** Why one reading (or one CSV line) was refused: which item, which field, and what to do about it. */
export interface Rejection {
  index?: number;
  line?: number;
  field: string;
  reason: string;
}

/** Rejects instants too far ahead of the clock; returns the reason, or undefined when acceptable. */
export function futureSkewProblem(ms: number, options: ValidationOptions = {}): string | undefined {
  const now = (options.now ?? Date.now)();
  const skew = options.maxFutureSkewMs ?? DEFAULT_MAX_FUTURE_SKEW_MS;
  if (ms - now <= skew) return undefined;
  return `timestamp ${formatTimestamp(ms)} is ${describeDuration(ms - now)} in the future (server clock ${formatTimestamp(now)}, allowed clock skew ${describeDuration(skew)}); check the device clock`;
}

/**
 * Exact to the millisecond on purpose: a rounded "5 min in the future (allowed: 5 min)" for a reading
 * 1 ms past the limit would read as a contradiction to the person who has to fix the clock.
 */
function describeDuration(ms: number): string {
  const parts: string[] = [];
  let rest = ms;
  for (const [unit, size] of [
    ["d", 86_400_000],
    ["h", 3_600_000],
    ["min", 60_000],
  ] as const) {
    if (rest >= size) {
      parts.push(`${Math.floor(rest / size)} ${unit}`);
      rest %= size;
    }
  }
  if (rest > 0 || parts.length === 0) parts.push(`${rest / 1000} s`);
  return parts.join(" ");
}

function describeType(input: unknown): string {
  if (input === null) return "null";
  if (input === undefined) return "nothing";
  if (Array.isArray(input)) return "an array";
  if (typeof input === "object") return "an object";
  if (typeof input === "string")
    return `the string ${JSON.stringify(input.length > 20 ? `${input.slice(0, 20)}…` : input)}`;
  return `a ${typeof input}`;
}

const fieldType = (field: string, expected: string) => (issue: { input?: unknown }) =>
  issue.input === undefined
    ? `${field} is missing`
    : `${field} must be ${expected}, got ${describeType(issue.input)}`;

/**
 * The wire format of one reading, as documented in the OpenAPI description. Validation adds the
 * rules below to this shape; both derive from the same field schemas.
 */
export const readingWireSchema = z
  .object({
    equipmentId: z.string().meta({
      description: "1–64 of A-Z a-z 0-9 . _ : -, starting with a letter or digit",
      example: "EQ-12495",
    }),
    value: z.number().meta({
      description: "finite, |value| < 1e12; stored to two decimals, rounded half away from zero",
      example: 78.42,
    }),
    timestamp: z.string().meta({
      description:
        "RFC 3339 with a UTC offset (Z or ±hh:mm); milliseconds precision; from 1970-01-01T00:00:00Z " +
        "to before 2200-01-01T00:00:00Z",
      example: "2023-02-15T01:30:00.000-05:00",
    }),
  })
  .meta({ id: "Reading" });

export type ReadingWire = z.infer<typeof readingWireSchema>;

/** Builds the validating schema of one reading; its output is the stored form. */
export function readingSchema(options: ValidationOptions = {}) {
  return z
    .object(
      {
        equipmentId: z.string({ error: fieldType("equipmentId", "a string") }).superRefine((id, ctx) => {
          const problem = equipmentIdProblem(id);
          if (problem) ctx.addIssue({ code: "custom", message: problem });
        }),
        value: z
          .number({
            error: (issue) =>
              Number.isNaN(issue.input) || issue.input === Infinity || issue.input === -Infinity
                ? `value is ${String(issue.input)}; send a finite number`
                : fieldType("value", "a JSON number")(issue),
          })
          .transform((value, ctx) => {
            const result = numberToCenti(value);
            if (result.ok) return result.centi;
            ctx.addIssue({ code: "custom", message: result.reason });
            return z.NEVER;
          }),
        timestamp: z.string({ error: fieldType("timestamp", "a string") }).transform((text, ctx) => {
          const parsed = parseTimestamp(text);
          const problem = parsed.ok ? futureSkewProblem(parsed.ms, options) : parsed.reason;
          if (problem === undefined && parsed.ok) return parsed.ms;
          ctx.addIssue({ code: "custom", message: problem ?? "timestamp is invalid" });
          return z.NEVER;
        }),
      },
      {
        error: (issue) =>
          `a reading must be a JSON object {equipmentId, value, timestamp}, got ${describeType(issue.input)}`,
      },
    )
    .transform(({ equipmentId, value, timestamp }) => ({ equipmentId, ts: timestamp, centi: value }));
}

/** A validated reading: the identity (equipmentId, ts) and the value in exact hundredths. */
export type Reading = z.output<ReturnType<typeof readingSchema>>;

export type ReadingResult = { ok: true; reading: Reading } | { ok: false; rejections: Rejection[] };

function toRejections(error: z.ZodError, index?: number): Rejection[] {
  return error.issues.map((issue) => ({
    ...(index === undefined ? {} : { index }),
    field: issue.path.length > 0 ? issue.path.map(String).join(".") : "reading",
    reason: issue.message,
  }));
}

/** Validates one reading. */
export function parseReading(input: unknown, options: ValidationOptions = {}): ReadingResult {
  const result = readingSchema(options).safeParse(input);
  return result.success
    ? { ok: true, reading: result.data }
    : { ok: false, rejections: toRejections(result.error) };
}

/**
 * Validates a payload holding one reading or an array of them. Every item is checked, so the caller
 * gets every rejection at once (with its index for arrays) and can keep or refuse the valid ones.
 */
export function parseReadings(
  input: unknown,
  options: ValidationOptions = {},
): { readings: Reading[]; rejections: Rejection[] } {
  const schema = readingSchema(options);
  if (!Array.isArray(input)) {
    const result = schema.safeParse(input);
    return result.success
      ? { readings: [result.data], rejections: [] }
      : { readings: [], rejections: toRejections(result.error) };
  }
  if (input.length === 0) {
    return {
      readings: [],
      rejections: [{ field: "readings", reason: "the array is empty; send at least one reading" }],
    };
  }
  const readings: Reading[] = [];
  const rejections: Rejection[] = [];
  input.forEach((item, index) => {
    const result = schema.safeParse(item);
    if (result.success) readings.push(result.data);
    else rejections.push(...toRejections(result.error, index));
  });
  return { readings, rejections };
}

/** The wire form of a stored reading: value as a JSON number, timestamp in UTC. */
export function formatReading(reading: Reading): ReadingWire {
  return {
    equipmentId: reading.equipmentId,
    value: centiToNumber(reading.centi),
    timestamp: formatTimestamp(reading.ts),
  };
}
