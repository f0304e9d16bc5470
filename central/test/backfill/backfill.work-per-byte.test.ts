/**
 * An upload costs central work in proportion to its bytes, whatever they are: empty lines are skipped
 * before they become records, and a row with the wrong number of fields costs its fields and a reason,
 * not a constructed error (csv-parse built one per such record: ~35 µs per empty line, ~47 µs per
 * short row, so 2 KB of gzip held a core for minutes).
 *
 * The CPU bounds are ratios to a baseline measured here on the same bytes (splitting them into lines
 * and fields with String.split, the least any CSV reading can do), so a busy machine moves both.
 */
import { describe, expect, it } from "vitest";
import { CsvRecordReader } from "../../src/backfill/csv-records.ts";
import { bearer, startTestCentral } from "../http/test-central.ts";

const central = await startTestCentral();
const vendor = await central.tokenFor("vendor");

const HEADER = "equipmentId,timestamp,value\n";
const GOOD_ROW = "WPB-1,2024-05-01T00:00:00Z,1.5\n";

/** CPU seconds (user + system) of this process, which runs central, while `work` runs. */
async function cpuSeconds(work: () => Promise<unknown> | unknown): Promise<number> {
  const before = process.cpuUsage();
  await work();
  const used = process.cpuUsage(before);
  return (used.user + used.system) / 1e6;
}

/** The least CPU any reading of `text` as CSV costs: the best of three plain splits. */
async function splitBaseline(text: string): Promise<number> {
  let best = Number.POSITIVE_INFINITY;
  for (let i = 0; i < 3; i++) {
    best = Math.min(
      best,
      await cpuSeconds(() => {
        let fields = 0;
        for (const line of text.split("\n")) fields += line.split(",").length;
        return fields;
      }),
    );
  }
  return best;
}

async function upload(body: string, fileName: string) {
  const response = await fetch(`${central.url}/v1/backfill?fileName=${fileName}`, {
    method: "POST",
    headers: { ...bearer(vendor), "Content-Type": "text/csv" },
    body,
  });
  return { status: response.status, report: (await response.json()) as Record<string, unknown> };
}

describe("work per byte of a CSV upload", () => {
  it("never makes an empty line into a record", () => {
    const reader = new CsvRecordReader(1 << 20);
    reader.push(HEADER);
    for (let i = 0; i < 100; i++) reader.push("\n\r\n".repeat(5_000));
    reader.push(GOOD_ROW);
    reader.end();
    const records = [];
    for (let item = reader.next(); item !== undefined; item = reader.next()) records.push(item);
    expect(records).toMatchObject([
      { kind: "record", firstLine: 1, lastLine: 1 },
      { kind: "record", fields: ["WPB-1", "2024-05-01T00:00:00Z", "1.5"], firstLine: 1_000_002 },
    ]);
    expect(reader.recordsBuilt).toBe(2);
  });

  it("reads 2,000,000 empty lines for a small multiple of splitting them", async () => {
    const body = `${HEADER}${"\n".repeat(2_000_000)}${GOOD_ROW}`;
    let answer: Awaited<ReturnType<typeof upload>> | undefined;
    const used = await cpuSeconds(async () => {
      answer = await upload(body, "blank.csv");
    });
    expect(answer?.status).toBe(201);
    expect(answer?.report).toMatchObject({ rows: 1, inserted: 1, committedLine: 2_000_002 });
    const baseline = await splitBaseline(body);
    // Measured: ~0.3 s for the upload against ~0.05 s to split; csv-parse took ~70 s.
    expect(used).toBeLessThan(Math.max(30 * baseline, 1));
  });

  it("rejects 200,000 rows of the wrong field count for a small multiple of splitting them", async () => {
    const wide = "WPB-2,2024-05-01T00:00:00Z,1.5,an extra field\n";
    const body = `${HEADER}${wide.repeat(200_000)}`;
    let answer: Awaited<ReturnType<typeof upload>> | undefined;
    const used = await cpuSeconds(async () => {
      answer = await upload(body, "wide.csv");
    });
    expect(answer?.status).toBe(201);
    expect(answer?.report).toMatchObject({ rows: 200_000, rejected: 200_000, errorsTotal: 200_000 });
    expect((answer?.report.errors as unknown[] | undefined)?.[0]).toEqual({
      line: 2,
      reason: "the row has 4 fields; the header has 3",
    });
    const baseline = await splitBaseline(body);
    // Measured: ~0.4 s for the upload against ~0.05 s to split; csv-parse took ~9.5 s.
    expect(used).toBeLessThan(Math.max(30 * baseline, 1));
  });
});
