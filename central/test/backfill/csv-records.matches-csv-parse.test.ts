/**
 * The backfill's record reader reads what csv-parse (as the backfill configured it before) read: the
 * same records and fields for any mix of quotes, commas, CR and LF, pushed in pieces of any size, and
 * an error where it had one. Empty lines are the one difference: the reader skips them itself.
 */
import { parse } from "csv-parse/sync";
import { describe, expect, it } from "vitest";
import { CsvRecordReader } from "../../src/backfill/csv-records.ts";

const PIECES = ["a", "b", ",", '"', "\n", "\r", " ", '""', "\r\n", "x,y", '"q"'];

/** A small deterministic generator, so a failure names a case that can be run again. */
function random(seed: number): (n: number) => number {
  let state = seed;
  return (n) => {
    state = (state * 1103515245 + 12345) & 0x7fffffff;
    return state % n;
  };
}

function withCsvParse(text: string): string[][] | "error" {
  try {
    return parse(text, { record_delimiter: ["\r\n", "\n"], relax_column_count: true, relax_quotes: true });
  } catch {
    return "error";
  }
}

function withReader(text: string, pieceSize: () => number): string[][] | "error" {
  const reader = new CsvRecordReader(1 << 20);
  const records: string[][] = [];
  let failed = false;
  const take = () => {
    for (let item = reader.next(); item !== undefined; item = reader.next()) {
      if (item.kind === "record") records.push(item.fields);
      else failed = true;
    }
  };
  for (let at = 0; at < text.length; ) {
    const size = pieceSize();
    reader.push(text.slice(at, at + size));
    at += size;
    take();
  }
  reader.end();
  take();
  return failed ? "error" : records;
}

const withoutEmptyLines = (records: string[][] | "error") =>
  records === "error" ? records : records.filter((fields) => !(fields.length === 1 && fields[0] === ""));

describe("the CSV record reader", () => {
  it("reads 2,000 random texts, in random pieces, as csv-parse did", () => {
    const next = random(18);
    const differences: { text: string; expected: unknown; got: unknown }[] = [];
    for (let n = 0; n < 2_000; n++) {
      let text = "";
      for (let length = next(60); length > 0; length--) text += PIECES[next(PIECES.length)];
      const expected = withoutEmptyLines(withCsvParse(text));
      const got = withoutEmptyLines(withReader(text, () => 1 + next(5)));
      if (JSON.stringify(got) !== JSON.stringify(expected)) differences.push({ text, expected, got });
    }
    expect(differences.slice(0, 5)).toEqual([]);
  });

  it('keeps the quotes of a quoted field followed by more text: "12"3 is not 123', () => {
    expect(withReader('"12"3,"a""b"c\n', () => 100)).toEqual([['"12"3', '"a"b"c']]);
  });
});
