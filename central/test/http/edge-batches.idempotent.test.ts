/** POST /v1/edge/batches: idempotent per (edgeId, batchId); bad readings answered per item in the 2xx. */
import { describe, expect, it } from "vitest";
import { bearer, reading, startTestCentral, TEST_NOW } from "./test-central.ts";

const central = await startTestCentral();
const edge = await central.tokenFor("edge", "site-1");
const admin = await central.tokenFor("admin");

const send = (batch: unknown, token = edge) =>
  fetch(`${central.url}/v1/edge/batches`, {
    method: "POST",
    headers: { ...bearer(token), "Content-Type": "application/json" },
    body: JSON.stringify(batch),
  });

async function storedCount(equipmentPrefix: string): Promise<number> {
  const [row] = await central.db.sql<{ n: number }[]>`
    select count(*)::int as n from readings where starts_with(equipment_id, ${equipmentPrefix})`;
  return row?.n ?? 0;
}

describe("POST /v1/edge/batches", () => {
  it("answers the same batch sent twice with the same answer and stores it once", async () => {
    const batch = {
      edgeId: "site-1",
      batchId: "b-seq",
      readings: Array.from({ length: 50 }, (_, i) => reading(`SEQ-${i % 5}`, i, 1 + i)),
    };
    const first = await send(batch);
    const second = await send(batch);
    expect(first.status).toBe(200);
    expect(second.status).toBe(200);
    const answer = await first.json();
    expect(answer).toMatchObject({ received: 50, inserted: 50, duplicates: 0, conflicts: 0, rejected: 0 });
    expect(await second.json()).toEqual(answer);
    expect(await storedCount("SEQ-")).toBe(50);
  });

  it("answers the same batch sent concurrently with one answer and stores it once", async () => {
    const batch = {
      edgeId: "site-1",
      batchId: "b-conc",
      readings: Array.from({ length: 200 }, (_, i) => reading(`CONC-${i % 10}`, i, 1 + i)),
    };
    const responses = await Promise.all(Array.from({ length: 4 }, () => send(batch)));
    const answers = await Promise.all(responses.map((r) => r.json()));
    expect(responses.map((r) => r.status)).toEqual([200, 200, 200, 200]);
    for (const answer of answers) expect(answer).toEqual(answers[0]);
    expect(answers[0]).toMatchObject({ inserted: 200 });
    expect(await storedCount("CONC-")).toBe(200);
  });

  it("answers readings central refuses inside the 2xx, by index, and stores the rest", async () => {
    const tooFarAhead = new Date(TEST_NOW + 60 * 60_000).toISOString();
    const response = await send({
      edgeId: "site-1",
      batchId: "b-mixed",
      readings: [
        reading("MIX-1", 1),
        { equipmentId: "MIX-1", value: 2, timestamp: tooFarAhead },
        reading("MIX-2", 3),
        { equipmentId: "MIX 3", value: 4, timestamp: new Date(TEST_NOW).toISOString() },
      ],
    });
    expect(response.status).toBe(200);
    const answer = (await response.json()) as { errors: { index: number; field: string; reason: string }[] };
    expect(answer).toMatchObject({ received: 4, inserted: 2, rejected: 2 });
    expect(answer.errors.map((e) => [e.index, e.field])).toEqual([
      [1, "timestamp"],
      [3, "equipmentId"],
    ]);
    expect(answer.errors[0]?.reason).toMatch(/in the future/);
    expect(await storedCount("MIX-")).toBe(2);
  });

  it("refuses a batch for another edge than the token's (403) and lets an admin send for any edge", async () => {
    const batch = { edgeId: "site-2", batchId: "b-other", readings: [reading("OTHER-1", 1)] };
    expect((await send(batch)).status).toBe(403);
    expect(await storedCount("OTHER-")).toBe(0);
    const byAdmin = await send(batch, admin);
    expect(byAdmin.status).toBe(200);
    expect(await byAdmin.json()).toMatchObject({ inserted: 1 });
  });
});
