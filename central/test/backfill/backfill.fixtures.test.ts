/**
 * The messy-file suite: every CSV in fixtures/ is uploaded (in name order, into one database, so
 * across.1 and across.2 meet), and its report — the one returned and the one stored — must equal
 * fixtures/<name>.expected.json exactly, except for the upload id and the clock times. Files that
 * cannot be taken must fail with the expected error and leave nothing stored.
 */
import { readdir, readFile } from "node:fs/promises";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { backfill } from "../../src/backfill/backfill.ts";
import { BackfillError } from "../../src/backfill/errors.ts";
import type { UploadReport } from "../../src/backfill/report.ts";
import { createUploadStore } from "../../src/backfill/uploads.ts";
import { resetReadings } from "../support/rollups.ts";
import { createTestDatabase } from "../support/test-database.ts";

const fixtures = fileURLToPath(new URL("./fixtures/", import.meta.url));
const db = await createTestDatabase();
const uploads = createUploadStore(db.sql);
const deps = { sql: db.sql, uploads, validation: { now: () => Date.parse("2024-06-01T00:00:00Z") } };

interface Expected {
  report: Omit<UploadReport, "uploadId" | "startedAt" | "finishedAt">;
  /** The code of the error the upload fails with, for files that cannot be taken at all. */
  error?: string;
}

/** The file in small uneven chunks, so every boundary case (a CRLF or a UTF-8 character split) occurs. */
async function* chunked(bytes: Uint8Array): AsyncGenerator<Uint8Array> {
  const sizes = [1, 2, 3, 5, 7, 11, 64];
  for (let at = 0, k = 0; at < bytes.length; k++) {
    const size = sizes[k % sizes.length] ?? 1;
    yield bytes.subarray(at, at + size);
    at += size;
  }
}

function withoutClock(report: UploadReport) {
  const { uploadId: _id, startedAt: _s, finishedAt: _f, ...rest } = report;
  return rest;
}

const names = (await readdir(fixtures)).filter((name) => name.endsWith(".csv")).sort();

describe("CSV backfill of messy files", () => {
  it.each(names)("%s gives exactly its expected report", async (name) => {
    const bytes = await readFile(join(fixtures, name));
    const expected = JSON.parse(
      await readFile(join(fixtures, name.replace(/\.csv$/, ".expected.json")), "utf8"),
    ) as Expected;
    const uploadId = `bf_${name.replace(/\W/g, "_")}`;
    // Each file starts from empty tables, except the later files of a sequence (name.2.csv, …).
    if (!/\.([2-9])\.csv$/.test(name)) {
      await resetReadings(db.sql);
    }
    const options = { uploadId, fileName: name, tokenId: null, maxBytes: 1e9 };

    let returned: UploadReport | undefined;
    let failure: BackfillError | undefined;
    try {
      returned = await backfill(deps, chunked(bytes), options);
    } catch (error) {
      if (!(error instanceof BackfillError)) throw error;
      failure = error;
    }
    const stored = (await uploads.get(uploadId))?.report;
    expect(stored).toBeDefined();
    expect(failure?.code).toBe(expected.error);
    if (!expected.error) expect(withoutClock(returned as UploadReport)).toEqual(expected.report);
    expect(withoutClock(stored as UploadReport)).toEqual(expected.report);

    // What the report says is what the tables hold.
    const [held] = await db.sql<{ readings: number; conflicts: number }[]>`
      select (select count(*)::int from readings where source = ${uploadId}) as readings,
        (select count(*)::int from conflicts where source = ${uploadId}) as conflicts`;
    expect(held).toEqual({ readings: expected.report.inserted, conflicts: expected.report.conflicts });
  });
});
