/** /healthz, /readyz and /metrics: public, and truthful about the database and the ingest counts. */
import { describe, expect, it } from "vitest";
import { bearer, reading, startTestCentral } from "./test-central.ts";

const central = await startTestCentral();
const admin = await central.tokenFor("admin");

function metric(text: string, name: string, labels: string): number | undefined {
  const line = text.split("\n").find((l) => l.startsWith(`${name}{${labels}}`));
  return line === undefined ? undefined : Number(line.split(" ").at(-1));
}

describe("probes", () => {
  it("answer without a token", async () => {
    const health = await fetch(`${central.url}/healthz`);
    expect(health.status).toBe(200);
    expect(await health.json()).toEqual({ status: "ok" });
    const ready = await fetch(`${central.url}/readyz`);
    expect(ready.status).toBe(200);
    expect(await ready.json()).toMatchObject({
      status: "ready",
      checks: { database: { ok: true }, migrations: { ok: true } },
    });
  });
});

describe("GET /metrics", () => {
  it("counts readings by source and outcome, times ingest, and shows pool use", async () => {
    const post = (body: unknown) =>
      fetch(`${central.url}/v1/readings`, {
        method: "POST",
        headers: { ...bearer(admin), "Content-Type": "application/json" },
        body: JSON.stringify(body),
      });
    expect((await post([reading("M-1", 1, 1), reading("M-1", 2, 2)])).status).toBe(202);
    expect((await post([reading("M-1", 1, 1), reading("M-1", 5, 2), reading("M-1", 3, 3)])).status).toBe(202);
    expect((await post([reading("M-1", 1, 4), { equipmentId: "M-1" }])).status).toBe(400);

    const response = await fetch(`${central.url}/metrics`);
    expect(response.status).toBe(200);
    expect(response.headers.get("content-type")).toMatch(/^text\/plain/);
    const text = await response.text();
    const count = (outcome: string) =>
      metric(text, "plantlink_central_readings_total", `source="direct",outcome="${outcome}"`);
    expect(count("inserted")).toBe(3);
    expect(count("duplicate")).toBe(1);
    expect(count("conflict")).toBe(1);
    expect(count("rejected")).toBe(2);
    expect(metric(text, "plantlink_central_readings_total", 'source="edge",outcome="inserted"')).toBe(0);
    expect(metric(text, "plantlink_central_ingest_seconds_count", 'source="direct"')).toBe(3);
    expect(text).toMatch(/^plantlink_central_db_connections\{state="(active|idle)"\} \d+$/m);
    expect(text).toMatch(/^plantlink_central_db_pool_max 10$/m);
  });
});

describe("GET /readyz", () => {
  // Last in the file: it un-applies the migrations' record in this file's own database.
  it("answers 503 naming the reason while migrations are pending", async () => {
    await central.db.sql`delete from drizzle.__drizzle_migrations`;
    const ready = await fetch(`${central.url}/readyz`);
    expect(ready.status).toBe(503);
    const body = (await ready.json()) as { checks: { migrations: { ok: boolean; detail: string } } };
    expect(body.checks.migrations.ok).toBe(false);
    expect(body.checks.migrations.detail).toMatch(/pnpm central migrate/);
  });
});
