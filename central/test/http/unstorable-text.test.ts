/**
 * Text PostgreSQL cannot hold — a NUL character (error 22021), or an unpaired UTF-16 surrogate, which
 * the driver would silently turn into U+FFFD (two different batch ids would become one) — is refused
 * where it enters: a 400 problem naming the field, for every piece of user text that reaches SQL.
 * Before, each of these answered 500.
 */
import { PROBLEM_CONTENT_TYPE } from "@plantlink/shared";
import { describe, expect, it } from "vitest";
import { bearer, reading, startTestCentral } from "./test-central.ts";

const central = await startTestCentral();
const admin = await central.tokenFor("admin");
const vendor = await central.tokenFor("vendor");
const edge = await central.tokenFor("edge", "edge-1");

const NUL = "\u0000";
const LONE = "\ud800";
const BAD = [
  ["a NUL character", NUL, '"\\u0000" (a NUL character)'],
  ["an unpaired surrogate", LONE, '"\\ud800" (an unpaired UTF-16 surrogate)'],
] as const;

const postJson = (path: string, token: string, body: unknown) =>
  fetch(`${central.url}${path}`, {
    method: "POST",
    headers: { ...bearer(token), "Content-Type": "application/json" },
    body: JSON.stringify(body),
  });

/** A multipart form whose file part carries `fileName`, percent-encoded in `filename*` (RFC 5987). */
function multipart(fileName: string): { body: Buffer; type: string } {
  const boundary = "----plantlink-test";
  const encoded = encodeURIComponent(fileName);
  const body = Buffer.from(
    `--${boundary}\r\nContent-Disposition: form-data; name="file"; filename*=UTF-8''${encoded}\r\n` +
      `Content-Type: text/csv\r\n\r\nequipmentId,timestamp,value\r\nTXT-1,2024-06-01T11:00:00Z,1.5\r\n` +
      `--${boundary}--\r\n`,
  );
  return { body, type: `multipart/form-data; boundary=${boundary}` };
}

async function expectRefused(response: Response, field: string, reason: string) {
  expect(response.status).toBe(400);
  expect(response.headers.get("content-type")).toBe(PROBLEM_CONTENT_TYPE);
  const problem = (await response.json()) as { detail: string; errors?: { field: string; reason: string }[] };
  expect(problem.errors).toEqual([{ field, reason: expect.stringContaining(reason) }]);
  expect(problem.errors?.[0]?.reason).toMatch(new RegExp(`^${field} contains`));
}

describe.each(BAD)("a JSON string with %s", (_name, bad, reason) => {
  it("in an edge batch's edgeId is a 400 naming edgeId", async () => {
    const response = await postJson("/v1/edge/batches", admin, {
      edgeId: `edge${bad}x`,
      batchId: "b-1",
      readings: [reading("TXT-1", 1)],
    });
    await expectRefused(response, "edgeId", reason);
  });

  it("in an edge batch's batchId is a 400 naming batchId, and nothing is stored", async () => {
    const response = await postJson("/v1/edge/batches", edge, {
      edgeId: "edge-1",
      batchId: `b${bad}`,
      readings: [reading("TXT-2", 1)],
    });
    await expectRefused(response, "batchId", reason);
    const [row] = await central.db.sql<{ n: number }[]>`
      select count(*)::int as n from readings where equipment_id = 'TXT-2'`;
    expect(row?.n).toBe(0);
  });

  it("in a batch reading's timestamp is that reading's rejection; the batch and its answer are stored", async () => {
    const batchId = `ts-${bad === NUL ? "nul" : "lone"}`;
    const body = {
      edgeId: "edge-1",
      batchId,
      readings: [reading(batchId, 1), { equipmentId: batchId, value: 2, timestamp: `2024${bad}` }],
    };
    const first = await postJson("/v1/edge/batches", edge, body);
    expect(first.status).toBe(200);
    const answer = await first.json();
    expect(answer).toMatchObject({ inserted: 1, rejected: 1, errors: [{ index: 1, field: "timestamp" }] });
    // The replay answers the stored answer: it went through jsonb intact.
    const again = await postJson("/v1/edge/batches", edge, body);
    expect(again.status).toBe(200);
    expect(await again.json()).toEqual(answer);
  });
});

describe("text with a NUL character", () => {
  // A URL cannot carry an unpaired surrogate (its UTF-8 does not exist), so only NUL reaches these.
  const reason = BAD[0][2];

  it("in the equipment list's prefix is a 400 naming prefix", async () => {
    const response = await fetch(`${central.url}/v1/equipment?prefix=${encodeURIComponent(`EQ${NUL}`)}`, {
      headers: bearer(admin),
    });
    await expectRefused(response, "prefix", reason);
  });

  it.each(["/v1/series?window=24h", "/v1/averages?window=24h"])(
    "in %s's edgeId is a 400 naming edgeId",
    async (route) => {
      const response = await fetch(`${central.url}${route}&edgeId=${encodeURIComponent(`e${NUL}`)}`, {
        headers: bearer(admin),
      });
      await expectRefused(response, "edgeId", reason);
    },
  );

  it("in a backfill's fileName is a 400 naming fileName", async () => {
    const response = await fetch(`${central.url}/v1/backfill?fileName=${encodeURIComponent(`a${NUL}.csv`)}`, {
      method: "POST",
      headers: { ...bearer(vendor), "Content-Type": "text/csv" },
      body: "equipmentId,timestamp,value\nTXT-3,2024-06-01T11:00:00Z,1.5\n",
    });
    await expectRefused(response, "fileName", reason);
  });

  it("in a multipart file part's name is a 400 naming the file name", async () => {
    const form = multipart(`a${NUL}.csv`);
    const response = await fetch(`${central.url}/v1/backfill`, {
      method: "POST",
      headers: { ...bearer(vendor), "Content-Type": form.type },
      body: form.body,
    });
    await expectRefused(response, "file.filename", reason);
  });

  it("in an upload id is a 400 naming uploadId", async () => {
    const response = await fetch(`${central.url}/v1/backfill/${encodeURIComponent(`bf_${NUL}`)}`, {
      headers: bearer(admin),
    });
    await expectRefused(response, "uploadId", reason);
  });

  it("in a CSV row is refused by the file check, never stored", async () => {
    const response = await fetch(`${central.url}/v1/backfill`, {
      method: "POST",
      headers: { ...bearer(vendor), "Content-Type": "text/csv" },
      body: `equipmentId,timestamp,value\nTXT-5${NUL},2024-06-01T11:00:00Z,1.5\n`,
    });
    expect(response.status).toBe(415);
  });
});

describe("the API viewer's files", () => {
  it.each(["constructor", "__proto__", "toString", "hasOwnProperty", "valueOf"])(
    "answer 404 for /docs/%s, a name every object has",
    async (name) => {
      const response = await fetch(`${central.url}/docs/${name}`);
      expect(response.status).toBe(404);
      expect(response.headers.get("content-type")).toBe(PROBLEM_CONTENT_TYPE);
    },
  );

  it("still serve the listed ones", async () => {
    const response = await fetch(`${central.url}/docs/swagger-ui.css`);
    expect(response.status).toBe(200);
    expect(response.headers.get("content-type")).toMatch(/^text\/css/);
  });
});
