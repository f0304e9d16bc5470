/**
 * A vendor's connection breaks half-way through an upload: what was committed stays, the upload is
 * recorded as incomplete with how far it got, and uploading the whole file again completes it without
 * counting anything twice.
 */
import { request } from "node:http";
import { describe, expect, it } from "vitest";
import { bearer, startTestCentral } from "../http/test-central.ts";
import { NO_DIFFERENCES, rollupDifferences } from "../support/rollups.ts";

const central = await startTestCentral();
const vendor = await central.tokenFor("vendor");

const TOTAL_ROWS = 50_000;
const lines = ["equipmentId,timestamp,value"];
for (let i = 0; i < TOTAL_ROWS; i++) {
  const ts = new Date(Date.parse("2024-05-01T00:00:00Z") + Math.floor(i / 3) * 60_000).toISOString();
  lines.push(`CUT-${i % 3},${ts},${(i % 997) / 4}`);
}
const file = `${lines.join("\n")}\n`;

async function until<T>(probe: () => Promise<T | undefined>, what: string): Promise<T> {
  for (let waited = 0; waited < 60_000; waited += 50) {
    const value = await probe();
    if (value !== undefined) return value;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error(`gave up waiting for ${what}`);
}

interface UploadRow {
  uploadId: string;
  status: string;
  committedLine: number;
  finished: boolean;
}
const uploadRow = async () =>
  (
    await central.db.sql<UploadRow[]>`
      select upload_id as "uploadId", status, committed_line::int as "committedLine",
        finished_at is not null as finished
      from uploads where file_name = 'cut.csv'`
  )[0];

describe("an upload cut off half-way", () => {
  it("keeps what was committed, says how far it got, and a re-upload completes it exactly", async () => {
    const url = new URL(central.url);
    const req = request({
      host: url.hostname,
      port: url.port,
      method: "POST",
      path: "/v1/backfill?fileName=cut.csv",
      headers: { ...bearer(vendor), "Content-Type": "text/csv" }, // chunked: no length to hold to
    });
    req.on("error", () => undefined); // the test breaks the connection on purpose
    // 30,000 lines and the first half of the next row, then nothing: the connection breaks once the
    // first batch (20,000 rows) is committed.
    const sent = `${lines.slice(0, 30_000).join("\n")}\n${lines[30_000]?.slice(0, 20)}`;
    req.write(sent);
    await until(
      async () => ((await uploadRow())?.committedLine ?? 0) > 20_000 || undefined,
      "the first batch",
    );
    req.destroy();
    const cut = await until(async () => {
      const row = await uploadRow();
      return row?.finished ? row : undefined;
    }, "the upload to be recorded");

    const answer = await fetch(`${central.url}/v1/backfill/${cut.uploadId}`, { headers: bearer(vendor) });
    const report = (await answer.json()) as Record<string, number | string>;
    const committedLine = Number(report.committedLine);
    expect(report.status).toBe("incomplete");
    expect(committedLine).toBeGreaterThan(20_000);
    expect(committedLine).toBeLessThanOrEqual(30_000);
    // Every line up to committedLine is stored, nothing after it, and committedBytes is where it ends.
    expect(report).toMatchObject({ rows: committedLine - 1, inserted: committedLine - 1, rejected: 0 });
    expect(report.committedBytes).toBe(Buffer.byteLength(`${lines.slice(0, committedLine).join("\n")}\n`));
    const [stored] = await central.db.sql<{ n: number }[]>`
      select count(*)::int as n from readings where source = ${cut.uploadId}`;
    expect(stored?.n).toBe(committedLine - 1);

    const again = await fetch(`${central.url}/v1/backfill?fileName=cut.csv`, {
      method: "POST",
      headers: { ...bearer(vendor), "Content-Type": "text/csv" },
      body: file,
    });
    expect(again.status).toBe(201);
    expect(await again.json()).toMatchObject({
      status: "complete",
      rows: TOTAL_ROWS,
      inserted: TOTAL_ROWS - (committedLine - 1),
      duplicates: committedLine - 1,
      conflicts: 0,
    });
    const [total] = await central.db.sql<{ n: number }[]>`
      select count(*)::int as n from readings where equipment_id like 'CUT-%'`;
    expect(total?.n).toBe(TOTAL_ROWS);
    expect(await rollupDifferences(central.db.sql)).toEqual(NO_DIFFERENCES);
  });
});
