/**
 * A vendor's client goes away while central is still working through what it already received (a
 * small gzip body inflates to many rows): central stops reading soon after, keeps what it stored,
 * and records the upload as incomplete, saying the client left.
 */
import { request } from "node:http";
import { gzipSync } from "node:zlib";
import { describe, expect, it } from "vitest";
import { backfill } from "../../src/backfill/backfill.ts";
import { backfillRoutesWith } from "../../src/backfill/routes.ts";
import { createUploadStore } from "../../src/backfill/uploads.ts";
import { apiRoutes } from "../../src/http/routes.ts";
import { bearer, startTestCentral } from "../http/test-central.ts";

// Small batches, so that an upload is many transactions, as a big file is.
const BATCH_ROWS = 1_000;
const central = await startTestCentral({
  routes: [
    ...apiRoutes.filter((r) => !r.path.startsWith("/v1/backfill")),
    ...backfillRoutesWith(() => 1e12, BATCH_ROWS),
  ],
});
const vendor = await central.tokenFor("vendor");
// A slow database: each batch holds one reading of GONE-SLOW, which takes 200 ms to insert.
await central.db.sql.unsafe(`
  create function slow_insert() returns trigger language plpgsql as $$
  begin perform pg_sleep(0.2); return new; end $$;
  create trigger slow_insert before insert on readings for each row
    when (new.equipment_id = 'GONE-SLOW') execute function slow_insert();`);

const TOTAL_ROWS = 10_000;
const lines = ["equipmentId,timestamp,value"];
for (let i = 0; i < TOTAL_ROWS; i++) {
  const ts = new Date(Date.parse("2024-05-01T00:00:00Z") + Math.floor(i / 3) * 1000).toISOString();
  lines.push(`GONE-${i % BATCH_ROWS === 0 ? "SLOW" : i % 3},${ts},${(i % 50) / 2}`);
}
// 10,000 rows in ~30 KB: all of it is in central's hands at once, the work is not.
const body = gzipSync(`${lines.join("\n")}\n`);

async function until<T>(probe: () => Promise<T | undefined>, what: string, ms = 60_000): Promise<T> {
  for (let waited = 0; waited < ms; waited += 25) {
    const value = await probe();
    if (value !== undefined) return value;
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
  throw new Error(`gave up waiting for ${what}`);
}

interface UploadRow {
  uploadId: string;
  status: string;
  committedLine: number;
  detail: string | null;
  finished: boolean;
}
const uploadRow = async () =>
  (
    await central.db.sql<UploadRow[]>`
      select upload_id as "uploadId", status, committed_line::int as "committedLine", detail,
        finished_at is not null as finished
      from uploads where file_name = 'gone.csv'`
  )[0];
const storedRows = async () =>
  (
    await central.db.sql<{ n: number }[]>`
      select count(*)::int as n from readings where equipment_id like 'GONE-%'`
  )[0]?.n ?? 0;

describe("a client that leaves in the middle of an upload", () => {
  it("stops the upload soon after, keeping what was stored, recorded as incomplete", async () => {
    const url = new URL(central.url);
    const req = request({
      host: url.hostname,
      port: url.port,
      method: "POST",
      path: "/v1/backfill?fileName=gone.csv",
      headers: {
        ...bearer(vendor),
        "Content-Type": "text/csv",
        "Content-Encoding": "gzip",
        "Content-Length": String(body.length),
      },
    });
    req.on("error", () => undefined); // the test leaves on purpose
    req.end(body); // the whole body: all central still has to do is work through it
    await until(async () => ((await uploadRow())?.committedLine ?? 0) > 1 || undefined, "the first batch");
    const left = performance.now();
    req.destroy();

    const gone = await until(async () => {
      const row = await uploadRow();
      return row?.finished ? row : undefined;
    }, "the upload to be recorded");
    const stoppedAfterMs = performance.now() - left;
    const stored = await storedRows();
    await new Promise((resolve) => setTimeout(resolve, 1_000));
    expect(await storedRows()).toBe(stored);

    expect(gone.status).toBe("incomplete");
    expect(gone.detail).toContain("the client closed the connection");
    expect(gone.committedLine).toBeLessThan(TOTAL_ROWS + 1);
    expect(stored).toBeLessThan(TOTAL_ROWS);
    // Nothing acknowledged is lost: the lines the report counts are stored.
    expect(stored).toBeGreaterThanOrEqual(gone.committedLine - 1);
    expect(stoppedAfterMs).toBeLessThan(5_000);
  });

  it("still reports a file read to its end as complete when the client leaves just after", async () => {
    const left = new AbortController();
    async function* source(): AsyncGenerator<Uint8Array> {
      yield Buffer.from("equipmentId,timestamp,value\nGONE-LATE,2024-05-01T00:00:00Z,1\n");
      left.abort(); // the last byte is in: the client leaves before the answer
    }
    const report = await backfill(
      {
        sql: central.db.sql,
        uploads: createUploadStore(central.db.sql),
        validation: central.parts.validation,
      },
      source(),
      { uploadId: "bf_gone_late", fileName: "late.csv", tokenId: null, maxBytes: 1e12, signal: left.signal },
    );
    expect(report).toMatchObject({ status: "complete", rows: 1, inserted: 1, committedLine: 2 });
  });
});
