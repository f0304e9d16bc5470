/**
 * The overview's "Needs attention" list says so when it judged nothing: sensors without limits and
 * without a baseline week are `unknown`, and "Nothing needs attention" would claim they are fine. A
 * young installation in a real Chromium: three sensors with half an hour of readings each.
 */
import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { launchBrowser } from "../support/browser.ts";
import { startDashboardCentral } from "./dashboard-central.ts";

const dc = await startDashboardCentral();
const SENSORS = ["YOUNG-1", "YOUNG-2", "YOUNG-3"];
let browser: Browser;
let page: Page;
const token: Record<string, string> = {};

async function api<T>(path: string, role: string, init: RequestInit = {}): Promise<T> {
  const response = await fetch(`${dc.url}${path}`, {
    ...init,
    headers: { Authorization: `Bearer ${token[role]}`, "Content-Type": "application/json" },
  });
  if (!response.ok) throw new Error(`${path}: ${response.status} ${await response.text()}`);
  return (await response.json()) as T;
}

const statuses = async (window: string) =>
  (await api<{ equipment: { status: string }[] }>(`/v1/equipment?window=${window}`, "viewer")).equipment.map(
    (e) => e.status,
  );

// Each test reads its own window: the browser may keep an answer for a window as long as central's
// Cache-Control allows, and the second test changes what the answer would be.
async function attention(window: string): Promise<string> {
  await page.goto(`${dc.url}/?window=${window}`);
  await page.waitForSelector('main[data-loaded="true"]');
  return (await page.locator("#attention").textContent()) ?? "";
}

beforeAll(async () => {
  for (const role of ["viewer", "ingest", "admin"] as const) token[role] = await dc.tokenFor(role);
  // One reading a minute for the last half hour, the last a few seconds ago: reporting, not silent.
  const now = Date.now();
  const readings = SENSORS.flatMap((equipmentId, s) =>
    Array.from({ length: 30 }, (_, i) => ({
      equipmentId,
      value: 20 + s + (i % 3) / 10,
      timestamp: new Date(now - 5_000 - i * 60_000).toISOString(),
    })),
  );
  await api("/v1/readings", "ingest", { method: "POST", body: JSON.stringify(readings) });
  browser = await launchBrowser();
  page = await (await browser.newContext({ locale: "en-US" })).newPage();
  page.setDefaultTimeout(15_000);
  await page.goto(`${dc.url}/sign-in`);
  await page.fill("#token", token.viewer ?? "");
  await page.click("button[type=submit]");
  await page.waitForSelector('main[data-loaded="true"]');
}, 120_000);

afterAll(async () => {
  await browser?.close();
});

describe("the overview's attention list", () => {
  it("says no sensor could be judged when every sensor is unknown", async () => {
    expect(await statuses("24h")).toEqual(["unknown", "unknown", "unknown"]);
    const text = await attention("24h");
    expect(text).toBe("No sensor could be judged: 3 unknown (no baseline yet).");
    expect(text).not.toMatch(/Nothing/);
  });

  it("counts the unknown beside the judged when the judged are all fine", async () => {
    await api("/v1/equipment/YOUNG-1/limits", "admin", {
      method: "PUT",
      body: JSON.stringify({ warningLow: 0, warningHigh: 100 }),
    });
    expect((await statuses("48h")).sort()).toEqual(["ok", "unknown", "unknown"]);
    expect(await attention("48h")).toBe(
      "Nothing: every judged sensor is within its limits and baseline; 2 unknown (no baseline yet).",
    );
  });
});
