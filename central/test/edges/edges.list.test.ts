/** GET /v1/edges: per edge, last sync, the backlog it last reported, readings stored today and ever. */
import { describe, expect, it } from "vitest";
import { bearer, reading, startTestCentral } from "../http/test-central.ts";

const central = await startTestCentral();
const viewer = await central.tokenFor("viewer");
const siteA = await central.tokenFor("edge", "site-a");
const siteB = await central.tokenFor("edge", "site-b");

const sendBatch = async (token: string, batch: Record<string, unknown>) => {
  const response = await fetch(`${central.url}/v1/edge/batches`, {
    method: "POST",
    headers: { ...bearer(token), "Content-Type": "application/json" },
    body: JSON.stringify(batch),
  });
  expect(response.status).toBe(200);
  return response.json();
};

const listEdges = async (token = viewer) => {
  const response = await fetch(`${central.url}/v1/edges`, { headers: bearer(token) });
  return { status: response.status, body: (await response.json()) as { edges: Record<string, unknown>[] } };
};

describe("GET /v1/edges", () => {
  it("lists each edge with its last sync, last reported backlog and readings stored, counting a resend once", async () => {
    const before = Date.now();
    const readings = (prefix: string, n: number) =>
      Array.from({ length: n }, (_, i) => reading(`${prefix}-${i}`, i));
    await sendBatch(siteA, {
      edgeId: "site-a",
      batchId: "a-1",
      readings: readings("A", 30),
      backlog: 900,
      oldestUnsyncedMs: 60_000,
    });
    const second = {
      edgeId: "site-a",
      batchId: "a-2",
      readings: readings("A2", 20),
      backlog: 880,
      oldestUnsyncedMs: 59_000,
    };
    await sendBatch(siteA, second);
    await sendBatch(siteA, second); // a resend after a lost answer
    await sendBatch(siteB, { edgeId: "site-b", batchId: "b-1", readings: readings("B", 5) });

    const { status, body } = await listEdges();
    expect(status).toBe(200);
    expect(body.edges.map((e) => e.edgeId)).toEqual(["site-a", "site-b"]);
    const [a, b] = body.edges;
    expect(a).toMatchObject({ backlog: 880, oldestUnsyncedMs: 59_000, readingsToday: 50, readingsTotal: 50 });
    expect(Date.parse(String(a?.lastSyncAt))).toBeGreaterThanOrEqual(before - 5000);
    expect(Date.parse(String(a?.oldestUnsyncedAt))).toBe(Date.parse(String(a?.lastSyncAt)) - 59_000);
    expect(a?.sinceLastSyncMs).toBeGreaterThanOrEqual(0);
    // An edge that never reported a backlog shows null, not 0: unknown is not empty.
    expect(b).toMatchObject({
      backlog: null,
      oldestUnsyncedMs: null,
      oldestUnsyncedAt: null,
      readingsTotal: 5,
    });
  });

  it("counts only readings stored today in readingsToday", async () => {
    await central.db.sql`
      insert into edge_days (edge_id, day, readings)
      values ('site-b', (now() at time zone 'UTC')::date - 1, 1000)`;
    const { body } = await listEdges();
    expect(body.edges.find((e) => e.edgeId === "site-b")).toMatchObject({
      readingsToday: 5,
      readingsTotal: 5,
    });
  });

  it("is closed to callers without a viewer token", async () => {
    expect((await listEdges(siteA)).status).toBe(403);
    const anonymous = await fetch(`${central.url}/v1/edges`);
    expect(anonymous.status).toBe(401);
  });
});
