/**
 * Status end to end (docs/status.md): sensors built to sit inside, near and outside their baseline and
 * limits, or to fall silent, or with too little history, get ok, warning, critical, silent and unknown
 * from /v1/averages and /v1/equipment; only an admin sets limits, and every change is audited.
 */
import { describe, expect, it } from "vitest";
import { bearer, startTestCentral } from "../http/test-central.ts";
import { DAY, HOUR, MINUTE, regular, store } from "./fleet.ts";

const central = await startTestCentral();
const viewer = await central.tokenFor("viewer");
const admin = await central.tokenFor("admin");

const NOW = Date.parse("2024-06-01T12:00:00Z");
const AT = new Date(NOW).toISOString();
// The 24 h window is (05-31 12:00, 06-01 12:00]; its baseline the whole days 05-24 to 05-30.
const BASELINE_FROM = Date.parse("2024-05-24T00:00:00Z");
const BASELINE_TO = Date.parse("2024-05-31T00:00:00Z");
const EVERY = 10 * MINUTE;

/** Baseline: 50 ± 1 (σ ≈ 1), every 10 minutes for the week; then the window at `window(i)`. */
function sensor(
  id: string,
  window: (i: number) => number,
  options: { baseline?: boolean; stopAt?: number } = {},
) {
  const base =
    options.baseline === false
      ? []
      : regular(id, BASELINE_FROM, BASELINE_TO, EVERY, (i) => (i % 2 ? 4900 : 5100));
  const stopAt = options.stopAt ?? NOW + 1;
  return [...base, ...regular(id, NOW - DAY + EVERY, stopAt, EVERY, window)];
}

await store(central.db.sql, [
  ...sensor("S-OK", (i) => (i % 2 ? 4950 : 5050)),
  ...sensor("S-WARN", () => 5250), // 2.5 σ
  ...sensor("S-CRIT", () => 5400), // 4 σ
  ...sensor("S-SILENT", () => 5000, { stopAt: NOW - 2 * HOUR }), // 2 h quiet, 12 intervals
  ...sensor("S-NEW", () => 5000, { baseline: false }),
  ...sensor("S-LIMITS", () => 6500, { baseline: false }),
]);

const get = async (path: string, token = viewer) => {
  const response = await fetch(`${central.url}${path}`, { headers: bearer(token) });
  return { status: response.status, body: (await response.json()) as Record<string, unknown> };
};

const putLimits = (id: string, limits: Record<string, number | null>, token = admin) =>
  fetch(`${central.url}/v1/equipment/${id}/limits`, {
    method: "PUT",
    headers: { ...bearer(token), "Content-Type": "application/json" },
    body: JSON.stringify(limits),
  });

const statuses = async () => {
  const { body } = await get(`/v1/averages?window=24h&at=${AT}`);
  return Object.fromEntries(
    (body.sensors as { equipmentId: string; status: string }[]).map((s) => [s.equipmentId, s.status]),
  );
};

describe("sensor status", () => {
  it("is ok, warning, critical, silent or unknown as the rule says", async () => {
    expect(await statuses()).toEqual({
      "S-CRIT": "critical",
      "S-LIMITS": "unknown", // no baseline and, for now, no limits
      "S-NEW": "unknown",
      "S-OK": "ok",
      "S-SILENT": "silent",
      "S-WARN": "warning",
    });
  });

  it("judges against limits once an admin sets them, and keeps who changed them and when", async () => {
    const set = await putLimits("S-LIMITS", { warningHigh: 60, criticalHigh: 70, target: 55 });
    expect(set.status).toBe(200);
    expect((await statuses())["S-LIMITS"]).toBe("warning");

    expect((await putLimits("S-LIMITS", { warningHigh: 60, criticalHigh: 64.99 })).status).toBe(200);
    expect((await statuses())["S-LIMITS"]).toBe("critical");

    const { status, body } = await get("/v1/equipment/S-LIMITS/limits");
    expect(status).toBe(200);
    expect(body.limits).toEqual({
      warningLow: null,
      warningHigh: 60,
      criticalLow: null,
      criticalHigh: 64.99,
      target: null,
      sentinels: [],
      validMin: null,
      validMax: null,
    });
    expect(body.updatedBy).toBe("test admin");
    const history = body.history as {
      at: string;
      by: string;
      before: unknown;
      after: { criticalHigh: number };
    }[];
    expect(history.map((h) => h.after.criticalHigh)).toEqual([64.99, 70]);
    expect(history[1]?.before).toEqual({
      warningLow: null,
      warningHigh: null,
      criticalLow: null,
      criticalHigh: null,
      target: null,
      sentinels: [],
      validMin: null,
      validMax: null,
    });
    expect(
      history.every((h) => h.by === "test admin" && Math.abs(Date.parse(h.at) - Date.now()) < 60_000),
    ).toBe(true);
  });

  it("refuses limits from a viewer (403) and limits that do not nest (400)", async () => {
    expect((await putLimits("S-OK", { warningHigh: 1 }, viewer)).status).toBe(403);
    const bad = await putLimits("S-OK", { warningLow: 10, criticalLow: 20 });
    expect(bad.status).toBe(400);
    expect(((await bad.json()) as { detail: string }).detail).toMatch(
      /criticalLow \(20\) must not be above warningLow \(10\)/,
    );
    const unknownField = await putLimits("S-OK", { warningHi: 1 });
    expect(unknownField.status).toBe(400);
    expect((await get("/v1/equipment/S-OK/limits")).body.history).toEqual([]);
  });

  it("lists a sensor silent for the whole window as silent in /v1/equipment", async () => {
    const { body } = await get(`/v1/equipment?window=24h&at=${new Date(NOW + 2 * DAY).toISOString()}`);
    const entries = body.equipment as {
      equipmentId: string;
      status: string;
      window: unknown;
      readingCount: number;
    }[];
    expect(entries.map((e) => e.status)).toEqual(Array(6).fill("silent"));
    expect(entries.every((e) => e.window === null)).toBe(true);
    const now = await get(`/v1/equipment?window=24h&at=${AT}`);
    const ok = (now.body.equipment as { equipmentId: string; status: string; readingCount: number }[]).find(
      (e) => e.equipmentId === "S-OK",
    );
    expect(ok).toMatchObject({ status: "ok", readingCount: 7 * 144 + 144 });
  });
});
