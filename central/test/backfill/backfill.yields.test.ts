/**
 * A big upload does not starve the other requests: records already received are worked through with
 * a turn for the rest of the process every few milliseconds, so /healthz answers promptly throughout.
 */
import { describe, expect, it } from "vitest";
import { backfill } from "../../src/backfill/backfill.ts";
import { createUploadStore } from "../../src/backfill/uploads.ts";
import { bearer, startTestCentral } from "../http/test-central.ts";

const central = await startTestCentral();
const vendor = await central.tokenFor("vendor");

const HEADER = "equipmentId,timestamp,value\n";
const WIDE = "YLD-1,2024-05-01T00:00:00Z,1.5,an extra field\n";

const percentile = (values: number[], p: number) => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? 0;
};

describe("a big upload and the other requests", () => {
  it("keeps /healthz answering within 200 ms (p99) while an upload is read", async () => {
    // Empty lines and rows of the wrong field count: all work for central, none for the database.
    const body = `${HEADER}${"\n".repeat(4_000_000)}${WIDE.repeat(400_000)}`;
    const aborted = new AbortController();
    let done = false;
    const uploaded = fetch(`${central.url}/v1/backfill?fileName=big.csv`, {
      method: "POST",
      headers: { ...bearer(vendor), "Content-Type": "text/csv" },
      body,
      signal: aborted.signal,
    })
      .then(async (response) => ({ status: response.status, report: await response.json() }))
      .finally(() => {
        done = true;
      });
    const latencies: number[] = [];
    while (!done) {
      const started = performance.now();
      const health = await fetch(`${central.url}/healthz`);
      await health.arrayBuffer();
      latencies.push(performance.now() - started);
      // A stalled process would keep the test here for minutes: one answer this late is enough.
      if (latencies.at(-1)! > 2_000) aborted.abort();
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    const answer = await uploaded.catch((error: unknown) => ({ status: 0, report: String(error) }));
    expect(answer).toMatchObject({ status: 201, report: { rows: 400_000, rejected: 400_000 } });
    expect(latencies.length).toBeGreaterThan(5);
    expect(percentile(latencies, 99)).toBeLessThan(200);
  });

  it("lets timers run while one chunk of hundreds of thousands of rows is read", async () => {
    const uploads = createUploadStore(central.db.sql);
    // One chunk, as a fast sender or gzip can hand over: reading it must not be one long turn.
    const chunk = Buffer.from(`${HEADER}${WIDE.repeat(400_000)}`);
    async function* source(): AsyncGenerator<Uint8Array> {
      yield chunk;
    }
    let last = performance.now();
    let longestGap = 0;
    const ticker = setInterval(() => {
      const now = performance.now();
      longestGap = Math.max(longestGap, now - last);
      last = now;
    }, 2);
    try {
      const report = await backfill(
        { sql: central.db.sql, uploads, validation: central.parts.validation },
        source(),
        { uploadId: "bf_yields_chunk", fileName: "chunk.csv", tokenId: null, maxBytes: 1e12 },
      );
      expect(report).toMatchObject({ rows: 400_000, rejected: 400_000 });
    } finally {
      clearInterval(ticker);
    }
    // Turns come every 10 ms of work; reading the chunk whole takes ~0.5 s.
    expect(longestGap).toBeLessThan(100);
  });
});
