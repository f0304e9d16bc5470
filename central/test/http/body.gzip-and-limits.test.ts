/** Request bodies: gzip is accepted on the ingest routes; bodies past the limits get 413, however sent. */
import { gzipSync } from "node:zlib";
import { describe, expect, it } from "vitest";
import { bearer, reading, startTestCentral } from "./test-central.ts";

const central = await startTestCentral({ limits: { bodyBytes: 20_000, decompressedBytes: 100_000 } });
const admin = await central.tokenFor("admin");
const edge = await central.tokenFor("edge", "site-gz");

const headers = (token: string, gzip: boolean) => ({
  ...bearer(token),
  "Content-Type": "application/json",
  ...(gzip ? { "Content-Encoding": "gzip" } : {}),
});

/** A body sent chunked, without Content-Length, so only counting while streaming can catch it. */
function chunked(bytes: Uint8Array, chunkSize = 4096): ReadableStream<Uint8Array> {
  let offset = 0;
  return new ReadableStream({
    pull(controller) {
      if (offset >= bytes.length) return controller.close();
      controller.enqueue(bytes.subarray(offset, offset + chunkSize));
      offset += chunkSize;
    },
  });
}

describe("gzip request bodies", () => {
  it("are accepted for an edge batch", async () => {
    const readings = Array.from({ length: 200 }, (_, i) => reading(`GZ-${i % 20}`, i, 10 + i));
    const body = gzipSync(JSON.stringify({ edgeId: "site-gz", batchId: "gz-1", readings }));
    expect(body.length).toBeLessThan(20_000);
    const response = await fetch(`${central.url}/v1/edge/batches`, {
      method: "POST",
      headers: headers(edge, true),
      body,
    });
    expect(response.status).toBe(200);
    expect(await response.json()).toMatchObject({ received: 200, inserted: 200, rejected: 0 });
  });

  it("are accepted for direct readings", async () => {
    const response = await fetch(`${central.url}/v1/readings`, {
      method: "POST",
      headers: headers(admin, true),
      body: gzipSync(JSON.stringify([reading("GZ-direct", 1.5)])),
    });
    expect(response.status).toBe(202);
    expect(await response.json()).toEqual({
      accepted: 1,
      inserted: 1,
      duplicates: 0,
      conflicts: 0,
      setAside: 0,
    });
  });
});

describe("body limits", () => {
  const big = new TextEncoder().encode(JSON.stringify(Array(400).fill(reading("EQ-big", 1))));

  it("answer 413 to a declared Content-Length past the limit", async () => {
    expect(big.length).toBeGreaterThan(20_000);
    const response = await fetch(`${central.url}/v1/readings`, {
      method: "POST",
      headers: headers(admin, false),
      body: big,
    });
    expect(response.status).toBe(413);
  });

  it("answer 413 to a chunked body that grows past the limit, and store nothing", async () => {
    const response = await fetch(`${central.url}/v1/readings`, {
      method: "POST",
      headers: headers(admin, false),
      body: chunked(big),
      duplex: "half",
    } as RequestInit);
    expect(response.status).toBe(413);
    const [row] = await central.db.sql<{ n: number }[]>`
      select count(*)::int as n from readings where equipment_id = 'EQ-big'`;
    expect(row?.n).toBe(0);
  });

  it("answer 413 to a small gzip body that inflates past the decompressed limit", async () => {
    const bomb = gzipSync(JSON.stringify(Array(2_000).fill(reading("EQ-bomb", 1))));
    expect(bomb.length).toBeLessThan(20_000);
    const response = await fetch(`${central.url}/v1/readings`, {
      method: "POST",
      headers: headers(admin, true),
      body: bomb,
    });
    expect(response.status).toBe(413);
    expect(((await response.json()) as { detail: string }).detail).toMatch(/inflates to more than/);
  });

  it("let a body just under the limit through", async () => {
    const readings = Array.from({ length: 240 }, (_, i) => reading("EQ-fits", i, 10 + i));
    const body = JSON.stringify(readings);
    expect(body.length).toBeGreaterThan(15_000);
    expect(body.length).toBeLessThanOrEqual(20_000);
    const response = await fetch(`${central.url}/v1/readings`, {
      method: "POST",
      headers: headers(admin, false),
      body,
    });
    expect(response.status).toBe(202);
  });
});
