/**
 * A gzip body that inflates more than 100 times its compressed size is refused with 413 as a
 * decompression bomb, at the point it is found: the rows before it stay stored and the report says
 * where it stopped. A real file compresses 5-20x and goes through.
 */
import { gzipSync } from "node:zlib";
import { describe, expect, it } from "vitest";
import { bearer, reading, startTestCentral } from "../http/test-central.ts";

const central = await startTestCentral();
const vendor = await central.tokenFor("vendor");
const ingest = await central.tokenFor("ingest");

const HEADER = "equipmentId,timestamp,value\n";
const rows = (id: string, n: number) =>
  Array.from(
    { length: n },
    (_, i) => `${id},${new Date(Date.parse("2024-05-01T00:00:00Z") + i * 60_000).toISOString()},${i}.25\n`,
  ).join("");

const post = (body: Uint8Array) =>
  fetch(`${central.url}/v1/backfill?fileName=bomb.csv`, {
    method: "POST",
    headers: { ...bearer(vendor), "Content-Type": "text/csv", "Content-Encoding": "gzip" },
    body,
  });

describe("gzip bodies that inflate too far", () => {
  it("refuse a backfill with 413 at the bomb, keeping the rows before it and saying so", async () => {
    const before = rows("BOMB-1", 2_000);
    const bomb = gzipSync(`${HEADER}${before}${"\n".repeat(20_000_000)}${rows("BOMB-2", 10)}`);
    expect(bomb.length).toBeLessThan(100_000);
    const response = await post(bomb);
    expect(response.status).toBe(413);
    expect(response.headers.get("Content-Type")).toBe("application/problem+json");
    const problem = (await response.json()) as {
      detail: string;
      report: { status: string; inserted: number; committedLine: number; detail: string };
    };
    expect(problem.detail).toMatch(/^gzip body expands more than 100x .*: refused as a decompression bomb/);
    expect(problem.report).toMatchObject({ status: "incomplete", inserted: 2_000 });
    expect(problem.report.committedLine).toBeGreaterThan(2_000);
    expect(problem.report.detail).toContain("decompression bomb");
    const [stored] = await central.db.sql<{ n: number }[]>`
      select count(*)::int as n from readings where equipment_id like 'BOMB-%'`;
    expect(stored?.n).toBe(2_000);
  });

  it("take a real file, which compresses far less", async () => {
    const file = `${HEADER}${rows("GZ-REAL-1", 20_000)}${rows("GZ-REAL-2", 20_000)}`;
    const body = gzipSync(file);
    expect(file.length).toBeGreaterThan(1 << 20);
    const response = await post(body);
    expect(response.status).toBe(201);
    expect(await response.json()).toMatchObject({ status: "complete", rows: 40_000, inserted: 40_000 });
  });

  it("refuse a JSON body the same way, before the decompressed limit", async () => {
    // 3 MB of spaces around one reading: under the 4 MB decompressed limit, but a bomb.
    const json = `[${" ".repeat(3_000_000)}${JSON.stringify(reading("BOMB-JSON", 1))}]`;
    const response = await fetch(`${central.url}/v1/readings`, {
      method: "POST",
      headers: { ...bearer(ingest), "Content-Type": "application/json", "Content-Encoding": "gzip" },
      body: gzipSync(json),
    });
    expect(response.status).toBe(413);
    expect(((await response.json()) as { detail: string }).detail).toContain("decompression bomb");
  });
});
