/**
 * Read answers gzip-encoded over real HTTP, seen as raw bytes (undici's `request` does not decompress,
 * unlike fetch): a client that accepts gzip gets a body that gunzips to exactly the identity answer,
 * under a tag of its own, with `Vary: Accept-Encoding` and a Content-Length that is the gzip size; a
 * client that refuses gzip or says nothing gets identity; either tag revalidates to 304; the copy is
 * made once for any number of concurrent requests and counted in the cache's bytes; small answers are
 * never compressed.
 */
import type { IncomingHttpHeaders } from "node:http";
import { gunzipSync } from "node:zlib";
import { request } from "undici";
import { describe, expect, it } from "vitest";
import { GZIP_MIN_BYTES } from "../../src/http/conditional.ts";
import { store } from "../equipment/fleet.ts";
import { bearer, startTestCentral, TEST_NOW } from "../http/test-central.ts";

const gzipCopies: number[] = [];
const central = await startTestCentral({ answerCache: { onGzipped: (bytes) => gzipCopies.push(bytes) } });
const viewer = await central.tokenFor("viewer");
const answers = central.parts.answers!;

const SENSORS = 2_000;
await store(
  central.db.sql,
  Array.from({ length: SENSORS }, (_, i) => ({
    equipmentId: `EQ-${String(i).padStart(5, "0")}`,
    ts: TEST_NOW - 10 * 60_000 - i,
    centi: (i * 7919) % 100_000,
  })),
);

const ALL = "/v1/averages?window=24h";
const ONE = "/v1/averages?window=24h&equipmentId=EQ-00007";

interface Raw {
  status: number;
  headers: IncomingHttpHeaders;
  body: Buffer;
}

async function get(path: string, headers: Record<string, string> = {}): Promise<Raw> {
  const answer = await request(`${central.url}${path}`, { headers: { ...bearer(viewer), ...headers } });
  const body = Buffer.from(await answer.body.arrayBuffer());
  return { status: answer.statusCode, headers: answer.headers, body };
}

const varyOf = (raw: Raw) =>
  String(raw.headers.vary)
    .split(",")
    .map((name) => name.trim().toLowerCase());

describe("gzip-encoded read answers", () => {
  it("are sent to a client that accepts gzip: the identity bytes gzipped, under their own tag", async () => {
    const identity = await get(ALL);
    const gzipped = await get(ALL, { "Accept-Encoding": "gzip, deflate, br" });

    expect(identity.status).toBe(200);
    expect(identity.headers["content-encoding"]).toBeUndefined();
    expect(JSON.parse(identity.body.toString()).sensors).toHaveLength(SENSORS);
    expect(Number(identity.headers["content-length"])).toBe(identity.body.byteLength);

    expect(gzipped.status).toBe(200);
    expect(gzipped.headers["content-encoding"]).toBe("gzip");
    expect(gzipped.headers["content-type"]).toBe("application/json");
    expect(Number(gzipped.headers["content-length"])).toBe(gzipped.body.byteLength);
    expect(gunzipSync(gzipped.body).equals(identity.body)).toBe(true);
    expect(gzipped.body.byteLength).toBeLessThan(identity.body.byteLength / 4);

    const identityTag = String(identity.headers.etag);
    expect(identityTag).toMatch(/^"[\w-]+"$/);
    expect(gzipped.headers.etag).toBe(`${identityTag.slice(0, -1)}-gzip"`);
    for (const raw of [identity, gzipped]) {
      expect(varyOf(raw)).toEqual(expect.arrayContaining(["accept-encoding", "authorization", "cookie"]));
    }
  });

  it.each([
    ["gzip;q=0", { "Accept-Encoding": "gzip;q=0" }],
    ["identity", { "Accept-Encoding": "identity" }],
    ["no Accept-Encoding", {}],
  ])("are sent as identity to a client that sends %s", async (_, headers) => {
    const reference = await get(ALL);
    const answer = await get(ALL, headers);
    expect(answer.status).toBe(200);
    expect(answer.headers["content-encoding"]).toBeUndefined();
    expect(answer.headers.etag).toBe(reference.headers.etag);
    expect(answer.body.equals(reference.body)).toBe(true);
    expect(varyOf(answer)).toContain("accept-encoding");
  });

  it("answer 304 to either tag, carrying the tag of the encoding the request would have got", async () => {
    const identityTag = String((await get(ALL)).headers.etag);
    const gzipTag = String((await get(ALL, { "Accept-Encoding": "gzip" })).headers.etag);
    for (const tag of [identityTag, gzipTag, `W/${gzipTag}`]) {
      for (const [acceptEncoding, expected] of [
        ["gzip", gzipTag],
        ["identity", identityTag],
      ] as const) {
        const answer = await get(ALL, { "Accept-Encoding": acceptEncoding, "If-None-Match": tag });
        expect(answer.status, `${tag} with ${acceptEncoding}`).toBe(304);
        expect(answer.body.byteLength).toBe(0);
        expect(answer.headers.etag).toBe(expected);
        expect(varyOf(answer)).toContain("accept-encoding");
      }
    }
  });

  it("are compressed once per cached answer, however many clients ask at once, and counted in its bytes", async () => {
    // Its own `at`, so this answer is cached but not yet compressed by the tests above.
    const path = `${ALL}&at=${new Date(TEST_NOW - 1000).toISOString()}`;
    const identity = await get(path);
    const copiesBefore = gzipCopies.length;
    const bytesBefore = answers.bytes;

    const gzipped = await Promise.all(
      Array.from({ length: 24 }, () => get(path, { "Accept-Encoding": "gzip" })),
    );

    expect(gzipCopies.length - copiesBefore).toBe(1);
    const size = gzipCopies.at(-1);
    for (const answer of gzipped) {
      expect(answer.headers["content-encoding"]).toBe("gzip");
      expect(answer.body.byteLength).toBe(size);
    }
    expect(gunzipSync(gzipped[0]!.body).equals(identity.body)).toBe(true);
    expect(answers.bytes - bytesBefore).toBe(size);

    await get(path, { "Accept-Encoding": "gzip" });
    expect(gzipCopies.length - copiesBefore).toBe(1);
  });

  it("are never compressed below GZIP_MIN_BYTES", async () => {
    const copiesBefore = gzipCopies.length;
    const identity = await get(ONE);
    const answer = await get(ONE, { "Accept-Encoding": "gzip" });
    expect(identity.body.byteLength).toBeLessThan(GZIP_MIN_BYTES);
    expect(answer.status).toBe(200);
    expect(answer.headers["content-encoding"]).toBeUndefined();
    expect(answer.headers.etag).toBe(identity.headers.etag);
    expect(answer.body.equals(identity.body)).toBe(true);
    expect(varyOf(answer)).toContain("accept-encoding");
    expect(gzipCopies.length).toBe(copiesBefore);
  });
});
