/**
 * POST /v1/backfill over real HTTP: text/csv, gzip and multipart bodies, problem answers for what
 * cannot be taken, the size limit, who may read which report, and re-uploads.
 */
import { gzipSync } from "node:zlib";
import { describe, expect, it } from "vitest";
import { backfillRoutesWith } from "../../src/backfill/routes.ts";
import { apiRoutes } from "../../src/http/routes.ts";
import { bearer, startTestCentral } from "../http/test-central.ts";

const central = await startTestCentral();
const vendor = await central.tokenFor("vendor");
const otherVendor = await central.tokenFor("vendor");
const viewer = await central.tokenFor("viewer");

const csv = (rows: string[]) => `equipmentId,timestamp,value\n${rows.join("\n")}\n`;
const rows = (id: string, n: number) =>
  Array.from(
    { length: n },
    (_, i) => `${id},${new Date(Date.parse("2024-05-01T00:00:00Z") + i * 60_000).toISOString()},${i}.5`,
  );

async function post(body: RequestInit["body"], headers: Record<string, string>, token = vendor, query = "") {
  const response = await fetch(`${central.url}/v1/backfill${query}`, {
    method: "POST",
    headers: { ...bearer(token), ...headers },
    body,
  });
  return { response, json: (await response.json()) as Record<string, unknown> };
}

describe("POST /v1/backfill", () => {
  it("takes a text/csv body and answers 201 with the report, kept at Location", async () => {
    const { response, json } = await post(
      csv(rows("HT-1", 3)),
      { "Content-Type": "text/csv" },
      vendor,
      "?fileName=a.csv",
    );
    expect(response.status).toBe(201);
    expect(json).toMatchObject({
      fileName: "a.csv",
      status: "complete",
      rows: 3,
      inserted: 3,
      rejected: 0,
      errors: [],
    });
    const location = response.headers.get("Location");
    expect(location).toBe(`/v1/backfill/${json.uploadId}`);
    const again = await fetch(`${central.url}${location}`, { headers: bearer(vendor) });
    expect(await again.json()).toEqual(json);
  });

  it("takes a gzip-encoded body", async () => {
    const { response, json } = await post(gzipSync(csv(rows("HT-gz", 50))), {
      "Content-Type": "text/csv; charset=utf-8",
      "Content-Encoding": "gzip",
    });
    expect(response.status).toBe(201);
    expect(json).toMatchObject({ rows: 50, inserted: 50, bytes: csv(rows("HT-gz", 50)).length });
  });

  it("takes the field file of a multipart form, named after the file", async () => {
    const form = new FormData();
    form.append("comment", "before the file");
    form.append(
      "file",
      new Blob([csv(rows("HT-form", 4))], { type: "application/vnd.ms-excel" }),
      "site 7.csv",
    );
    const { response, json } = await post(form, {});
    expect(response.status).toBe(201);
    expect(json).toMatchObject({ fileName: "site 7.csv", rows: 4, inserted: 4 });
  });

  it("answers 400 naming the form's missing file field", async () => {
    const form = new FormData();
    form.append("upload", new Blob([csv(rows("HT-x", 1))]), "x.csv");
    const { response, json } = await post(form, {});
    expect(response.status).toBe(400);
    expect(json.detail).toContain('no field named "file"');
  });

  it("says a re-upload stored nothing new: every row a duplicate", async () => {
    const body = csv(rows("HT-again", 20));
    await post(body, { "Content-Type": "text/csv" });
    const { response, json } = await post(body, { "Content-Type": "text/csv" });
    expect(response.status).toBe(201);
    expect(json).toMatchObject({ rows: 20, inserted: 0, duplicates: 20, conflicts: 0, status: "complete" });
  });

  it("answers 400 problem+json for a missing column, storing nothing", async () => {
    const response = await fetch(`${central.url}/v1/backfill`, {
      method: "POST",
      headers: { ...bearer(vendor), "Content-Type": "text/csv" },
      body: "equipmentId,value\nHT-none,1\n",
    });
    expect(response.status).toBe(400);
    expect(response.headers.get("Content-Type")).toBe("application/problem+json");
    const problem = (await response.json()) as { uploadId: string; errors: unknown[] };
    expect(problem.errors).toEqual([
      {
        line: 1,
        field: "header",
        reason:
          'the header lacks column timestamp; expected equipmentId,timestamp,value in any order, found "equipmentid","value"',
      },
    ]);
    const stored = await fetch(`${central.url}/v1/backfill/${problem.uploadId}`, { headers: bearer(vendor) });
    expect(await stored.json()).toMatchObject({ status: "failed", rows: 0, inserted: 0 });
    const [row] = await central.db.sql<
      { n: number }[]
    >`select count(*)::int as n from readings where equipment_id = 'HT-none'`;
    expect(row?.n).toBe(0);
  });

  it.each([
    ["a JSON body", "application/json", "{}", /Content-Type "application\/json" is not accepted/],
    ["a Latin-1 declared body", "text/csv; charset=iso-8859-1", "x", /must be UTF-8, not iso-8859-1/],
    ["an xlsx workbook", "text/csv", "PK\u0003\u0004\u0014\u0000\u0006\u0000", /Excel \.xlsx workbook/],
  ])("answers 415 to %s", async (_what, type, body, detail) => {
    const response = await fetch(`${central.url}/v1/backfill`, {
      method: "POST",
      headers: { ...bearer(vendor), "Content-Type": type },
      body,
    });
    expect(response.status).toBe(415);
    expect(response.headers.get("Content-Type")).toBe("application/problem+json");
    expect(((await response.json()) as { detail: string }).detail).toMatch(detail);
  });
});

describe("who may do what", () => {
  it("refuses an upload from a viewer (403) and from no one (401)", async () => {
    expect((await post(csv(rows("HT-v", 1)), { "Content-Type": "text/csv" }, viewer)).response.status).toBe(
      403,
    );
    const anonymous = await fetch(`${central.url}/v1/backfill`, { method: "POST", body: "x" });
    expect(anonymous.status).toBe(401);
  });

  it("shows a vendor its own uploads only, and a viewer all of them", async () => {
    const mine = (await post(csv(rows("HT-own", 1)), { "Content-Type": "text/csv" })).json;
    const theirs = (await post(csv(rows("HT-theirs", 1)), { "Content-Type": "text/csv" }, otherVendor)).json;
    const list = async (token: string) =>
      (
        (await (await fetch(`${central.url}/v1/backfill?limit=1000`, { headers: bearer(token) })).json()) as {
          uploads: { uploadId: string }[];
        }
      ).uploads.map((u) => u.uploadId);
    expect(await list(vendor)).toContain(mine.uploadId);
    expect(await list(vendor)).not.toContain(theirs.uploadId);
    expect(await list(viewer)).toEqual(expect.arrayContaining([mine.uploadId, theirs.uploadId]));

    const peek = await fetch(`${central.url}/v1/backfill/${theirs.uploadId}`, { headers: bearer(vendor) });
    expect(peek.status).toBe(404);
    const viewed = await fetch(`${central.url}/v1/backfill/${theirs.uploadId}`, { headers: bearer(viewer) });
    expect(viewed.status).toBe(200);
  });
});

describe("the size limit", async () => {
  const small = await startTestCentral({
    routes: [
      ...apiRoutes.filter((r) => !r.path.startsWith("/v1/backfill")),
      ...backfillRoutesWith(() => 2000),
    ],
  });
  const token = await small.tokenFor("vendor");
  const big = csv(rows("HT-big", 100));

  it("answers 413 to a declared size past it, before storing anything", async () => {
    const response = await fetch(`${small.url}/v1/backfill`, {
      method: "POST",
      headers: { ...bearer(token), "Content-Type": "text/csv" },
      body: big,
    });
    expect(response.status).toBe(413);
    const [row] = await small.db.sql<{ n: number }[]>`select count(*)::int as n from uploads`;
    expect(row?.n).toBe(0);
  });

  it("answers 413 to a streamed body that grows past it, keeping the rows before the limit", async () => {
    const bytes = new TextEncoder().encode(big);
    const stream = new ReadableStream<Uint8Array>({
      start(controller) {
        for (let at = 0; at < bytes.length; at += 500) controller.enqueue(bytes.subarray(at, at + 500));
        controller.close();
      },
    });
    const response = await fetch(`${small.url}/v1/backfill`, {
      method: "POST",
      headers: { ...bearer(token), "Content-Type": "text/csv" },
      body: stream,
      duplex: "half",
    } as RequestInit);
    expect(response.status).toBe(413);
    const problem = (await response.json()) as {
      report: { status: string; committedLine: number; inserted: number };
    };
    expect(problem.report.status).toBe("incomplete");
    expect(problem.report.committedLine).toBeGreaterThan(1);
    expect(problem.report.inserted).toBe(problem.report.committedLine - 1);
  });
});
