/**
 * Instants outside 1970-01-01T00:00:00Z <= t < 2200-01-01T00:00:00Z are refused everywhere central
 * takes one: a reading (direct, in an edge batch, in a CSV row) never reaches storage, and an `at`
 * query parameter is a 400 naming it. Before, a year-0001 reading was stored and every later
 * GET /v1/equipment answered 500, and `at=0001-…` made the read routes answer 500 too.
 */
import { describe, expect, it } from "vitest";
import { bearer, reading, startTestCentral } from "./test-central.ts";

const central = await startTestCentral();
const admin = await central.tokenFor("admin");
const vendor = await central.tokenFor("vendor");
const edge = await central.tokenFor("edge", "edge-1");

const BEFORE = "is before 1970-01-01T00:00:00Z, the earliest plantlink accepts";
const AFTER = "is at or after 2200-01-01T00:00:00Z, the end of the range plantlink accepts";
const OUTSIDE = [
  ["year 0001", "0001-01-01T00:00:00Z", BEFORE],
  ["1 ms before 1970", "1969-12-31T23:59:59.999Z", BEFORE],
  ["year 2200", "2200-01-01T00:00:00Z", AFTER],
  ["year 9999", "9999-12-31T23:59:59.999Z", AFTER],
] as const;

const post = (path: string, token: string, body: string, type = "application/json") =>
  fetch(`${central.url}${path}`, {
    method: "POST",
    headers: { ...bearer(token), "Content-Type": type },
    body,
  });

async function storedOutsideRange(): Promise<number> {
  const [row] = await central.db.sql<{ n: number }[]>`
    select count(*)::int as n from readings
    where ts < '1970-01-01T00:00:00Z' or ts >= '2200-01-01T00:00:00Z'`;
  return row?.n ?? -1;
}

describe("a reading outside the accepted range", () => {
  it.each(OUTSIDE)("with a timestamp in %s never reaches storage, on any path", async (_name, ts, reason) => {
    const bad = { equipmentId: "RANGE-1", value: 1.5, timestamp: ts };

    const direct = await post("/v1/readings", admin, JSON.stringify([reading("RANGE-1", 1), bad]));
    expect(direct.status).toBe(400);
    expect(await direct.json()).toMatchObject({
      errors: [{ index: 1, field: "timestamp", reason: expect.stringContaining(reason) }],
    });

    const batch = await post(
      "/v1/edge/batches",
      edge,
      JSON.stringify({ edgeId: "edge-1", batchId: `range-${ts}`, readings: [bad] }),
    );
    expect(batch.status).toBe(200);
    expect(await batch.json()).toMatchObject({
      inserted: 0,
      rejected: 1,
      errors: [{ index: 0, field: "timestamp", reason: expect.stringContaining(reason) }],
    });

    const csv = await post(
      `/v1/backfill?fileName=${encodeURIComponent(`range-${ts}.csv`)}`,
      vendor,
      `equipmentId,timestamp,value\nRANGE-1,${ts},1.5\n`,
      "text/csv",
    );
    expect(csv.status).toBe(201);
    expect(await csv.json()).toMatchObject({
      inserted: 0,
      rejected: 1,
      errors: [{ line: 2, reason: expect.stringContaining(reason) }],
    });

    expect(await storedOutsideRange()).toBe(0);
    const list = await fetch(`${central.url}/v1/equipment`, { headers: bearer(admin) });
    expect(list.status).toBe(200);
  });
});

describe("an `at` query parameter", () => {
  const routes = [
    "/v1/averages?window=24h",
    "/v1/equipment?window=1m",
    "/v1/series?window=1w",
    "/v1/equipment/EQ-1/series?window=48h",
    "/v1/equipment/EQ-1/gaps?window=24h",
  ];
  const cases = routes.flatMap((route) => OUTSIDE.map(([name, at, reason]) => [route, name, at, reason]));

  it.each(cases)("on %s in %s is a 400 naming `at`, not a 500", async (route, _name, at, reason) => {
    const response = await fetch(`${central.url}${route}&at=${encodeURIComponent(at)}`, {
      headers: bearer(admin),
    });
    expect(response.status).toBe(400);
    expect(response.headers.get("content-type")).toBe("application/problem+json");
    const problem = (await response.json()) as { detail: string; errors: unknown[] };
    expect(problem.errors).toEqual([{ field: "at", reason: `at "${at}" ${reason}` }]);
    expect(problem.detail).toContain(`at: at "${at}" ${reason}`);
  });

  it.each(routes)("on %s answers for the range's first and last instants", async (route) => {
    await post("/v1/readings", admin, JSON.stringify(reading("EQ-1", 1)));
    for (const at of ["1970-01-01T00:00:00Z", "2199-12-31T23:59:59.999Z"]) {
      const response = await fetch(`${central.url}${route}&at=${encodeURIComponent(at)}`, {
        headers: bearer(admin),
      });
      expect(response.status, `${route} at ${at}`).toBe(200);
    }
  });
});
