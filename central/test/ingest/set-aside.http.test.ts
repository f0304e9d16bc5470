/**
 * Readings that are not measurements (the -9999 error value, or outside a sensor's valid range) are set
 * aside on every path into central — direct POST, edge batch, CSV backfill — counted in the answer and
 * the metrics, and never moving the average; their identity still obeys the duplicate/conflict rules.
 */
import { describe, expect, it } from "vitest";
import { bearer, reading, startTestCentral, TEST_NOW } from "../http/test-central.ts";

const central = await startTestCentral();
const ingestToken = await central.tokenFor("ingest");
const edgeToken = await central.tokenFor("edge", "edge-1");
const vendor = await central.tokenFor("vendor");
const viewer = await central.tokenFor("viewer");
const at = encodeURIComponent(new Date(TEST_NOW).toISOString());

async function average(equipmentId: string) {
  const response = await fetch(`${central.url}/v1/averages?window=24h&at=${at}&equipmentId=${equipmentId}`, {
    headers: bearer(viewer),
  });
  const body = (await response.json()) as { sensors: { average: number; count: number; min: number }[] };
  return body.sensors[0];
}

const post = async (path: string, token: string, body: unknown, contentType = "application/json") => {
  const response = await fetch(`${central.url}${path}`, {
    method: "POST",
    headers: { ...bearer(token), "Content-Type": contentType },
    body: typeof body === "string" ? body : JSON.stringify(body),
  });
  return { status: response.status, json: (await response.json()) as Record<string, unknown> };
};

async function setAsideRows(equipmentId: string) {
  return central.db.sql<{ value_centi: string; source: string; reason: string }[]>`
    select value_centi, source, reason from set_aside where equipment_id = ${equipmentId} order by ts`;
}

describe("sentinel readings", () => {
  it("sets -9999 aside from a direct POST: counted, stored apart, not averaged", async () => {
    const readings = [reading("SA-D", 10, 30), reading("SA-D", -9999, 20), reading("SA-D", 20, 10)];
    const { status, json } = await post("/v1/readings", ingestToken, readings);
    expect(status).toBe(202);
    expect(json).toEqual({ accepted: 3, inserted: 2, duplicates: 0, conflicts: 0, setAside: 1 });
    expect(await average("SA-D")).toMatchObject({ average: 15, count: 2, min: 10 });
    expect(await setAsideRows("SA-D")).toEqual([
      { value_centi: "-999900", source: "direct", reason: "sentinel" },
    ]);
    // Nor is it on the chart: the series' buckets hold the two measurements only.
    const series = (await (
      await fetch(`${central.url}/v1/equipment/SA-D/series?window=24h&at=${at}`, { headers: bearer(viewer) })
    ).json()) as { count: number; buckets: { min: number | null }[] };
    expect(series.count).toBe(2);
    expect(Math.min(...series.buckets.flatMap((b) => (b.min === null ? [] : [b.min])))).toBe(10);

    // Its identity again: a duplicate; another value for it: a conflict, and the first stays.
    const again = await post("/v1/readings", ingestToken, [
      reading("SA-D", -9999, 20),
      reading("SA-D", 12, 20),
    ]);
    expect(again.json).toEqual({ accepted: 2, inserted: 0, duplicates: 1, conflicts: 1, setAside: 0 });
    expect(await average("SA-D")).toMatchObject({ average: 15, count: 2 });
    const [conflict] = await central.db.sql`
      select stored_centi, rejected_centi from conflicts where equipment_id = 'SA-D'`;
    expect(conflict).toEqual({ stored_centi: "-999900", rejected_centi: "1200" });

    // A sentinel for an identity already stored as a measurement is a conflict too.
    const late = await post("/v1/readings", ingestToken, [reading("SA-D", -9999, 10)]);
    expect(late.json).toMatchObject({ inserted: 0, conflicts: 1, setAside: 0 });
    expect(await setAsideRows("SA-D")).toHaveLength(1);
  });

  it("takes the error value and a measurement for one identity in one request as a set-aside and a conflict", async () => {
    const { json } = await post("/v1/readings", ingestToken, [
      reading("SA-M", 7, 5),
      reading("SA-M", -9999, 5),
    ]);
    expect(json).toMatchObject({ inserted: 0, conflicts: 1, setAside: 1 });
    expect(await average("SA-M")).toBeUndefined();
    expect(await setAsideRows("SA-M")).toHaveLength(1);
  });

  it("sets -9999 aside from an edge batch, and a replay answers the same", async () => {
    const batch = {
      edgeId: "edge-1",
      batchId: "b-1",
      readings: [reading("SA-E", 4, 30), reading("SA-E", -9999, 20), reading("SA-E", -9999, 20)],
    };
    const first = await post("/v1/edge/batches", edgeToken, batch);
    expect(first.status).toBe(200);
    expect(first.json).toMatchObject({ received: 3, inserted: 1, duplicates: 1, conflicts: 0, setAside: 1 });
    expect(await average("SA-E")).toMatchObject({ average: 4, count: 1 });
    expect((await post("/v1/edge/batches", edgeToken, batch)).json).toEqual(first.json);
    expect(await setAsideRows("SA-E")).toEqual([
      { value_centi: "-999900", source: "edge-1", reason: "sentinel" },
    ]);
  });

  it("sets -9999 aside from a CSV backfill and says so in the report", async () => {
    const ts = (minutesAgo: number) => new Date(TEST_NOW - minutesAgo * 60_000).toISOString();
    const csv = `equipmentId,timestamp,value\nSA-C,${ts(30)},1\nSA-C,${ts(20)},-9999\nSA-C,${ts(10)},3\n`;
    const { status, json } = await post("/v1/backfill", vendor, csv, "text/csv");
    expect(status).toBe(201);
    expect(json).toMatchObject({
      rows: 3,
      inserted: 2,
      duplicates: 0,
      conflicts: 0,
      setAside: 1,
      rejected: 0,
    });
    expect(await average("SA-C")).toMatchObject({ average: 2, count: 2 });
    const report = await fetch(`${central.url}/v1/backfill/${json.uploadId}`, { headers: bearer(vendor) });
    expect(await report.json()).toMatchObject({ setAside: 1 });
    const again = await post("/v1/backfill", vendor, csv, "text/csv");
    expect(again.json).toMatchObject({ inserted: 0, duplicates: 3, setAside: 0 });
  });

  it("shows each sensor's set-aside count and latest one in GET /v1/equipment", async () => {
    const response = await fetch(`${central.url}/v1/equipment?window=24h&at=${at}&prefix=SA-`, {
      headers: bearer(viewer),
    });
    const { equipment } = (await response.json()) as {
      equipment: { equipmentId: string; setAside: unknown; readingCount: number }[];
    };
    const entry = (id: string) => equipment.find((e) => e.equipmentId === id);
    expect(entry("SA-D")).toMatchObject({
      readingCount: 2,
      setAside: {
        count: 1,
        lastValue: -9999,
        lastTimestamp: new Date(TEST_NOW - 20 * 60_000).toISOString(),
        lastReason: "sentinel",
      },
    });
    await post("/v1/readings", ingestToken, [reading("SA-N", 1, 5)]);
    const clean = await fetch(`${central.url}/v1/equipment?window=24h&at=${at}&prefix=SA-N`, {
      headers: bearer(viewer),
    });
    expect(
      ((await clean.json()) as { equipment: { setAside: unknown }[] }).equipment[0]?.setAside,
    ).toBeNull();
  });

  it("counts set-aside readings in the metrics", async () => {
    const text = await (await fetch(`${central.url}/metrics`)).text();
    const count = (source: string) =>
      Number(
        new RegExp(
          `plantlink_central_readings_total\\{source="${source}",outcome="set_aside"\\} (\\d+)`,
        ).exec(text)?.[1],
      );
    expect(count("direct")).toBeGreaterThanOrEqual(1);
    expect(count("edge")).toBe(1);
    expect(count("backfill")).toBe(1);
  });
});
