/**
 * GET /v1/equipment/{id}/conflicts: every re-send of a stored instant with a different value is listed,
 * newest first, with the value kept, the value refused and who sent it; other sensors' stay out.
 */
import { describe, expect, it } from "vitest";
import { bearer, reading, startTestCentral } from "../http/test-central.ts";

const central = await startTestCentral();
const viewer = await central.tokenFor("viewer");
const ingest = await central.tokenFor("ingest");

async function send(body: unknown): Promise<{ conflicts: number }> {
  const response = await fetch(`${central.url}/v1/readings`, {
    method: "POST",
    headers: { ...bearer(ingest), "Content-Type": "application/json" },
    body: JSON.stringify(body),
  });
  expect(response.status).toBe(202);
  return (await response.json()) as { conflicts: number };
}

const conflictsOf = async (id: string, query = "") => {
  const response = await fetch(`${central.url}/v1/equipment/${id}/conflicts${query}`, {
    headers: bearer(viewer),
  });
  return { status: response.status, body: (await response.json()) as Record<string, unknown> };
};

describe("GET /v1/equipment/{id}/conflicts", () => {
  it("lists each refused re-send, newest first, with both values and the sender", async () => {
    await send([reading("EQ-C1", 10.5, 30), reading("EQ-C1", 11, 20), reading("EQ-C2", 1, 30)]);
    expect((await send(reading("EQ-C1", 10.5, 30))).conflicts).toBe(0); // same value: a duplicate
    expect((await send(reading("EQ-C1", 99.25, 30))).conflicts).toBe(1);
    expect((await send(reading("EQ-C1", -3, 20))).conflicts).toBe(1);

    const { status, body } = await conflictsOf("EQ-C1");
    expect(status).toBe(200);
    expect(body).toEqual({
      equipmentId: "EQ-C1",
      total: 2,
      conflicts: [
        {
          timestamp: reading("EQ-C1", 0, 20).timestamp,
          storedValue: 11,
          rejectedValue: -3,
          source: "direct",
          at: expect.any(String),
        },
        {
          timestamp: reading("EQ-C1", 0, 30).timestamp,
          storedValue: 10.5,
          rejectedValue: 99.25,
          source: "direct",
          at: expect.any(String),
        },
      ],
    });
    expect((await conflictsOf("EQ-C2")).body).toMatchObject({ total: 0, conflicts: [] });
  });

  it("keeps to the limit asked for, still counting them all", async () => {
    const { body } = await conflictsOf("EQ-C1", "?limit=1");
    expect(body.total).toBe(2);
    expect(body.conflicts).toHaveLength(1);
    expect((await conflictsOf("EQ-C1", "?limit=0")).status).toBe(400);
  });
});
