/**
 * Admission control: with a class's places and queue taken, further requests are refused with 503,
 * problem+json and Retry-After within 100 ms; probes still answer; nothing refused is stored and
 * everything acknowledged is.
 */
import { Writable } from "node:stream";
import { pino } from "pino";
import { describe, expect, it, vi } from "vitest";
import { routeClassOf } from "../../src/http/admission.ts";
import { bearer, holdReadingsTable, reading, startTestCentral } from "./test-central.ts";

const limits = { concurrency: 2, queue: 3 };
const logs: { level: number; msg: string; status?: number; refused?: number }[] = [];
const central = await startTestCentral({
  admission: { ingest: limits, backfill: limits, query: limits, waitMs: 50 },
  log: pino(
    { level: "info" },
    new Writable({
      write(chunk, _encoding, done) {
        logs.push(JSON.parse(String(chunk)));
        done();
      },
    }),
  ),
});
const ingest = await central.tokenFor("ingest");
const viewer = await central.tokenFor("viewer");

const post = (equipmentId: string) =>
  fetch(`${central.url}/v1/readings`, {
    method: "POST",
    headers: { ...bearer(ingest), "Content-Type": "application/json" },
    body: JSON.stringify(reading(equipmentId, 1)),
  });

describe("admission control", () => {
  it("classes routes: ingest, backfill, queries; probes and pages never limited", () => {
    expect(routeClassOf("POST", "/v1/readings")).toBe("ingest");
    expect(routeClassOf("POST", "/v1/edge/batches")).toBe("ingest");
    expect(routeClassOf("POST", "/v1/backfill")).toBe("backfill");
    expect(routeClassOf("GET", "/v1/averages")).toBe("query");
    for (const path of ["/healthz", "/readyz", "/metrics", "/openapi.json", "/"])
      expect(routeClassOf("GET", path)).toBeUndefined();
  });

  it("refuses ingest beyond its places and queue at once with 503 and Retry-After, storing only what it acknowledged", async () => {
    // Hold the readings table, so the requests admitted stay in progress.
    const { release, ended } = await holdReadingsTable(central.db.sql);

    // Open the client's connections beforehand: the time measured is central's, not TCP set-up's.
    await Promise.all(
      Array.from({ length: 16 }, () => fetch(`${central.url}/healthz`).then((r) => r.text())),
    );
    const first = [post("ADM-0"), post("ADM-1")];
    // Let the two take their places before the flood.
    await new Promise((resolve) => setTimeout(resolve, 200));
    const flood = Array.from({ length: 12 }, async (_, i) => {
      const started = performance.now();
      const response = await post(`ADM-${i + 2}`);
      return { response, ms: performance.now() - started, equipmentId: `ADM-${i + 2}` };
    });
    // The same number of probes sent alongside: what the machine itself adds to any answer right now
    // (on a quiet machine a few ms; this test may share its cores with much else).
    const probes = Array.from({ length: 12 }, async () => {
      const started = performance.now();
      await (await fetch(`${central.url}/healthz`)).text();
      return performance.now() - started;
    });
    const answered = await Promise.all(flood).finally(release);
    const baseline = Math.max(...(await Promise.all(probes)));
    // Probes still answer while the class is full.
    expect((await fetch(`${central.url}/healthz`)).status).toBe(200);
    const queryWhileFull = await fetch(`${central.url}/v1/equipment`, { headers: bearer(viewer) });
    expect(queryWhileFull.status).toBe(200);

    for (const { response, ms } of answered) {
      expect(response.status).toBe(503);
      expect(response.headers.get("content-type")).toContain("application/problem+json");
      expect(response.headers.get("retry-after")).toBe("1");
      expect(((await response.json()) as { type: string }).type).toBe("urn:plantlink:problem:overloaded");
      expect(
        ms - baseline,
        `refused after ${Math.round(ms)} ms, probes ${Math.round(baseline)} ms`,
      ).toBeLessThan(100);
    }

    release();
    await ended;
    const acknowledged: string[] = [];
    for (const [i, pending] of first.entries()) {
      const response = await pending;
      expect(response.status).toBe(202);
      acknowledged.push(`ADM-${i}`);
    }
    const stored = await central.db.sql<{ id: string }[]>`
      select equipment_id as id from readings where starts_with(equipment_id, 'ADM-') order by 1`;
    expect(stored.map((r) => r.id)).toEqual(acknowledged);

    const metrics = await (await fetch(`${central.url}/metrics`)).text();
    const refused = (reason: string) =>
      Number(
        new RegExp(
          `^plantlink_central_requests_refused_total\\{class="ingest",reason="${reason}"\\} (\\d+)`,
          "m",
        ).exec(metrics)?.[1],
      );
    expect(refused("queue_full") + refused("waited")).toBe(12);
    expect(refused("waited")).toBe(limits.queue);

    // One warning counts the refusals; no error line each (central did not fail, it shed load).
    await vi.waitFor(() => expect(logs.filter((l) => l.refused !== undefined)).toHaveLength(1), 5_000);
    expect(logs.find((l) => l.refused !== undefined)).toMatchObject({ level: 40, refused: 12 });
    expect(logs.filter((l) => l.msg === "request" && l.status === 503)).toEqual([]);
  });
});
