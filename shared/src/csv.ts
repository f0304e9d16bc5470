/**
 * CSV backfill rows: header mapping and per-row validation with the same rules as every other path.
 * The CSV tokenising itself (quotes, CRLF, streaming) is central's CsvRecordReader's job; this module
 * decides what a header and a row of fields mean.
 */
import { equipmentIdProblem } from "./equipment-id.ts";
import { futureSkewProblem, type Reading, type ValidationOptions } from "./reading.ts";
import { parseTimestamp } from "./timestamp.ts";
import { decimalToCenti } from "./value.ts";

export const CSV_COLUMNS = ["equipmentId", "timestamp", "value"] as const;
export type CsvColumn = (typeof CSV_COLUMNS)[number];

export interface CsvHeader {
  /** The position of each required column in a row. */
  positions: Record<CsvColumn, number>;
  /** Columns the file has that plantlink ignores, named in the upload report. */
  extra: string[];
  /** How many fields every row must have. */
  width: number;
}

export type CsvHeaderResult = { ok: true; header: CsvHeader } | { ok: false; reason: string };

const normalise = (name: string) =>
  name
    .replace(/^\uFEFF/, "")
    .trim()
    .toLowerCase();

/** Maps a header row (any column order, any case, surrounding spaces, optional BOM) to positions. */
export function parseCsvHeader(fields: readonly string[]): CsvHeaderResult {
  const found = new Map<string, number>();
  const extra: string[] = [];
  for (const [position, raw] of fields.entries()) {
    const name = normalise(raw);
    const column = CSV_COLUMNS.find((c) => c.toLowerCase() === name);
    if (!column) {
      extra.push(raw.replace(/^\uFEFF/, "").trim());
      continue;
    }
    if (found.has(column)) return { ok: false, reason: `the header names column "${column}" twice` };
    found.set(column, position);
  }
  const missing = CSV_COLUMNS.filter((c) => !found.has(c));
  if (missing.length > 0) {
    const shown = fields.map((f) => JSON.stringify(normalise(f))).join(",");
    return {
      ok: false,
      reason: `the header lacks column${missing.length > 1 ? "s" : ""} ${missing.join(", ")}; expected equipmentId,timestamp,value in any order, found ${shown}`,
    };
  }
  const positions = Object.fromEntries(CSV_COLUMNS.map((c) => [c, found.get(c) ?? 0])) as Record<
    CsvColumn,
    number
  >;
  return { ok: true, header: { positions, extra, width: fields.length } };
}

export type CsvRowResult = { ok: true; reading: Reading } | { ok: false; field: string; reason: string };

/** Validates one data row against the header. Fields are trimmed: vendors' files often pad them. */
export function parseCsvRow(
  fields: readonly string[],
  header: CsvHeader,
  options: ValidationOptions = {},
): CsvRowResult {
  if (fields.length !== header.width) {
    return {
      ok: false,
      field: "row",
      reason: `the row has ${fields.length} field${fields.length === 1 ? "" : "s"}; the header has ${header.width}`,
    };
  }
  const field = (column: CsvColumn) => (fields[header.positions[column]] ?? "").trim();

  const equipmentId = field("equipmentId");
  const idProblem = equipmentIdProblem(equipmentId);
  if (idProblem) return { ok: false, field: "equipmentId", reason: idProblem };

  const timestampText = field("timestamp");
  if (timestampText === "") return { ok: false, field: "timestamp", reason: "timestamp is empty" };
  const ts = parseTimestamp(timestampText);
  if (!ts.ok) return { ok: false, field: "timestamp", reason: ts.reason };
  const skew = futureSkewProblem(ts.ms, options);
  if (skew) return { ok: false, field: "timestamp", reason: skew };

  const valueText = field("value");
  if (valueText === "") return { ok: false, field: "value", reason: "value is empty" };
  const value = decimalToCenti(valueText);
  if (!value.ok) return { ok: false, field: "value", reason: value.reason };

  return { ok: true, reading: { equipmentId, ts: ts.ms, centi: value.centi } };
}
