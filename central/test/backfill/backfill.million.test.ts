/**
 * A generated 1,000,000-row file, uploaded the way a vendor does (the CLI's undici client): the
 * report's counts are exact, and afterwards the rollups equal aggregates over the raw rows.
 */
import { createWriteStream } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, expect, it } from "vitest";
import { uploadCsv } from "../../src/backfill/client.ts";
import { bearer, startTestCentral } from "../http/test-central.ts";
import { NO_DIFFERENCES, rollupDifferences } from "../support/rollups.ts";

const central = await startTestCentral();
const vendor = await central.tokenFor("vendor");
const dir = await mkdtemp(join(tmpdir(), "plantlink-million-"));
afterAll(() => rm(dir, { recursive: true, force: true }));

const ROWS = 1_000_000;
const SENSORS = 100;

/**
 * 100 sensors, one reading a minute each, in time order (a plant export). Every 10,000th row repeats
 * the row before it (a duplicate), every 10,000th row offset by 5,000 repeats it with another value
 * (a conflict), and every 20,000th row offset by 2,500 has an unreadable value (rejected).
 */
async function writeFile(path: string): Promise<{ duplicates: number; conflicts: number; rejected: number }> {
  const out = createWriteStream(path);
  const counts = { duplicates: 0, conflicts: 0, rejected: 0 };
  const base = Date.parse("2024-04-01T00:00:00Z");
  let chunk = "equipmentId,timestamp,value\n";
  let previous = "";
  let slot = 0;
  for (let i = 0; i < ROWS; i++) {
    let line: string;
    if (i % 10_000 === 9_999) {
      line = previous;
      counts.duplicates++;
    } else if (i % 10_000 === 4_999) {
      line = previous.replace(/,[^,]*$/, ",-1.5");
      counts.conflicts++;
    } else {
      const ts = new Date(base + Math.floor(slot / SENSORS) * 60_000).toISOString();
      const value = i % 20_000 === 2_499 ? "1,5" : ((slot * 7919) % 100_000) / 100;
      if (value === "1,5") counts.rejected++;
      line = `EQ-${slot % SENSORS},${ts},${value}`;
      slot++;
    }
    previous = line;
    chunk += `${line}\n`;
    if (chunk.length > 1 << 20) {
      if (!out.write(chunk)) await new Promise<void>((resolve) => out.once("drain", () => resolve()));
      chunk = "";
    }
  }
  await new Promise<void>((resolve, reject) => out.end(chunk, () => resolve()).once("error", reject));
  return counts;
}

it("stores a 1,000,000-row file with an exact report and rollups equal to the raw rows", {
  timeout: 600_000,
}, async () => {
  const file = join(dir, "million.csv");
  const expected = await writeFile(file);
  expect(expected).toEqual({ duplicates: 100, conflicts: 100, rejected: 50 });

  const answer = await uploadCsv({ url: central.url, token: vendor, file });
  expect(answer.status).toBe(201);
  const inserted = ROWS - expected.duplicates - expected.conflicts - expected.rejected;
  expect(answer.body).toMatchObject({
    status: "complete",
    rows: ROWS,
    inserted,
    duplicates: expected.duplicates,
    conflicts: expected.conflicts,
    rejected: expected.rejected,
    errorsTotal: expected.rejected,
    committedLine: ROWS + 1,
  });

  const [stored] = await central.db.sql<{ n: number }[]>`select count(*)::int as n from readings`;
  expect(stored?.n).toBe(inserted);
  expect(await rollupDifferences(central.db.sql)).toEqual(NO_DIFFERENCES);

  // The report is kept: GET answers it, errors and all.
  const kept = await fetch(`${central.url}/v1/backfill/${(answer.body as { uploadId: string }).uploadId}`, {
    headers: bearer(vendor),
  });
  expect(await kept.json()).toEqual(answer.body);
});
