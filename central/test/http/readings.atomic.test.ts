/** POST /v1/readings: all or nothing; duplicates and conflicts counted. */
import { describe, expect, it } from "vitest";
import { bearer, reading, startTestCentral } from "./test-central.ts";

const central = await startTestCentral();
const ingest = await central.tokenFor("ingest");

const sendText = (body: string) =>
  fetch(`${central.url}/v1/readings`, {
    method: "POST",
    headers: { ...bearer(ingest), "Content-Type": "application/json" },
    body,
  });
const send = (body: unknown) => sendText(JSON.stringify(body));

async function stored(equipmentId: string): Promise<number[]> {
  const rows = await central.db.sql<{ v: string }[]>`
    select value_centi::text as v from readings where equipment_id = ${equipmentId} order by ts`;
  return rows.map((r) => Number(r.v));
}

describe("POST /v1/readings", () => {
  it("stores one reading and answers 202 with the counts", async () => {
    const response = await send(reading("ONE", 78.425));
    expect(response.status).toBe(202);
    expect(await response.json()).toEqual({
      accepted: 1,
      inserted: 1,
      duplicates: 0,
      conflicts: 0,
      setAside: 0,
    });
    expect(await stored("ONE")).toEqual([7843]);
  });

  it("counts duplicates and conflicts and keeps the first value", async () => {
    expect((await send([reading("DUP", 1, 5), reading("DUP", 2, 6)])).status).toBe(202);
    const response = await send([reading("DUP", 1, 5), reading("DUP", 9, 6), reading("DUP", 3, 7)]);
    expect(await response.json()).toEqual({
      accepted: 3,
      inserted: 1,
      duplicates: 1,
      conflicts: 1,
      setAside: 0,
    });
    expect(await stored("DUP")).toEqual([300, 200, 100]);
  });

  it("stores nothing when any reading is invalid, and names every bad one", async () => {
    const response = await send([
      reading("ATOM", 1, 1),
      { equipmentId: "ATOM", value: null, timestamp: "2024-06-01T11:00:00Z" },
      reading("ATOM", 2, 2),
      "not a reading",
    ]);
    expect(response.status).toBe(400);
    const problem = (await response.json()) as { errors: { index: number; field: string }[] };
    expect(problem.errors.map((e) => [e.index, e.field])).toEqual([
      [1, "value"],
      [3, "reading"],
    ]);
    expect(await stored("ATOM")).toEqual([]);
  });

  it("reads a JSON body the way a web Request does: a leading BOM dropped, a cut-off body refused", async () => {
    const withBom = await sendText(`\uFEFF${JSON.stringify(reading("BOM", 4, 3))}`);
    expect(withBom.status).toBe(202);
    expect(await stored("BOM")).toEqual([400]);
    const truncated = await sendText(JSON.stringify(reading("CUT", 4, 3)).slice(0, -2));
    expect(truncated.status).toBe(400);
    expect(await stored("CUT")).toEqual([]);
  });
});
