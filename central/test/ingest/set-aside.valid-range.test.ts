/**
 * A sensor's own screening, set with its limits: its error values and its valid range. Readings matching
 * them are set aside with the reason, counted, and do not move the average; the range must be a range.
 */
import { describe, expect, it } from "vitest";
import { bearer, reading, startTestCentral, TEST_NOW } from "../http/test-central.ts";

const central = await startTestCentral();
const admin = await central.tokenFor("admin");
const ingestToken = await central.tokenFor("ingest");
const viewer = await central.tokenFor("viewer");
const at = encodeURIComponent(new Date(TEST_NOW).toISOString());

const putLimits = (id: string, body: unknown) =>
  fetch(`${central.url}/v1/equipment/${id}/limits`, {
    method: "PUT",
    headers: { ...bearer(admin), "Content-Type": "application/json" },
    body: JSON.stringify(body),
  });

const postReadings = async (body: unknown) => {
  const response = await fetch(`${central.url}/v1/readings`, {
    method: "POST",
    headers: { ...bearer(ingestToken), "Content-Type": "application/json" },
    body: JSON.stringify(body),
  });
  return (await response.json()) as Record<string, unknown>;
};

async function average(equipmentId: string) {
  const response = await fetch(`${central.url}/v1/averages?window=24h&at=${at}&equipmentId=${equipmentId}`, {
    headers: bearer(viewer),
  });
  return ((await response.json()) as { sensors: { average: number; count: number }[] }).sensors[0];
}

describe("a sensor's sentinels and valid range", () => {
  it("sets aside its own error values and values outside its valid range, with the reason", async () => {
    const put = await putLimits("VR-1", {
      warningHigh: 90,
      sentinels: [-1, 999.99],
      validMin: 0,
      validMax: 100,
    });
    expect(put.status).toBe(200);
    expect(((await put.json()) as { limits: unknown }).limits).toMatchObject({
      warningHigh: 90,
      sentinels: [-1, 999.99],
      validMin: 0,
      validMax: 100,
    });

    const answer = await postReadings([
      reading("VR-1", 40, 50),
      reading("VR-1", -1, 40),
      reading("VR-1", 999.99, 35),
      reading("VR-1", 100.01, 30),
      reading("VR-1", -0.01, 20),
      reading("VR-1", 60, 10),
      reading("VR-1", -9999, 5),
    ]);
    expect(answer).toMatchObject({ accepted: 7, inserted: 2, setAside: 5 });
    expect(await average("VR-1")).toMatchObject({ average: 50, count: 2 });
    const reasons = await central.db.sql<{ value_centi: string; reason: string }[]>`
      select value_centi, reason from set_aside where equipment_id = 'VR-1' order by ts`;
    expect(reasons).toEqual([
      { value_centi: "-100", reason: "sentinel" },
      { value_centi: "99999", reason: "sentinel" },
      { value_centi: "10001", reason: "above_valid_max" },
      { value_centi: "-1", reason: "below_valid_min" },
      { value_centi: "-999900", reason: "sentinel" },
    ]);
  });

  it("leaves other sensors alone: their -1 is a measurement", async () => {
    expect(await postReadings([reading("VR-2", -1, 10)])).toMatchObject({ inserted: 1, setAside: 0 });
  });

  it("keeps the screening in the audit trail, and clears it when left out", async () => {
    await putLimits("VR-3", { sentinels: [-5], validMax: 10 });
    await putLimits("VR-3", { warningHigh: 9 });
    const body = (await (
      await fetch(`${central.url}/v1/equipment/VR-3/limits`, { headers: bearer(viewer) })
    ).json()) as { limits: unknown; history: { before: unknown; after: unknown }[] };
    expect(body.limits).toMatchObject({ sentinels: [], validMin: null, validMax: null, warningHigh: 9 });
    expect(body.history[0]?.before).toMatchObject({ sentinels: [-5], validMax: 10 });
  });

  it("refuses an inverted valid range and a sentinel that is not a number (400)", async () => {
    const inverted = await putLimits("VR-4", { validMin: 10, validMax: 5 });
    expect(inverted.status).toBe(400);
    expect(((await inverted.json()) as { detail: string }).detail).toMatch(
      /validMin \(10\) must not be above validMax \(5\)/,
    );
    const text = await putLimits("VR-4", { sentinels: ["-9999"] });
    expect(text.status).toBe(400);
  });
});
