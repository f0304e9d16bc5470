/**
 * A sensor that sends the -9999 error value: the overview lists it under "Error readings set aside",
 * its page says how many and that they are not in its figures, and its figures are the measurements'
 * alone. A real Chromium against a real central and PostgreSQL.
 */
import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { launchBrowser } from "../support/browser.ts";
import { startDashboardCentral } from "./dashboard-central.ts";

const dc = await startDashboardCentral();
let browser: Browser;
let page: Page;
const tokenOf: Record<string, string> = {};
const now = Date.now();
const at = (minutesAgo: number) => new Date(now - minutesAgo * 60_000).toISOString();

beforeAll(async () => {
  for (const role of ["viewer", "ingest"] as const) tokenOf[role] = await dc.tokenFor(role);
  const readings = [
    ...[50, 40, 30, 20, 10].map((m, i) => ({ equipmentId: "FAULTY-1", value: 20 + i, timestamp: at(m) })),
    { equipmentId: "FAULTY-1", value: -9999, timestamp: at(45) },
    { equipmentId: "FAULTY-1", value: -9999, timestamp: at(25) },
    { equipmentId: "FINE-1", value: 5, timestamp: at(15) },
  ];
  const response = await fetch(`${dc.url}/v1/readings`, {
    method: "POST",
    headers: { Authorization: `Bearer ${tokenOf.ingest}`, "Content-Type": "application/json" },
    body: JSON.stringify(readings),
  });
  expect(await response.json()).toMatchObject({ inserted: 6, setAside: 2 });
  browser = await launchBrowser();
  page = await (await browser.newContext({ locale: "en-US" })).newPage();
  page.setDefaultTimeout(15_000);
  await page.goto(`${dc.url}/sign-in`);
  await page.fill("#token", tokenOf.viewer ?? "");
  await page.click("button[type=submit]");
  await page.waitForSelector('main[data-loaded="true"]');
}, 120_000);

afterAll(async () => {
  await browser?.close();
});

describe("set-aside readings on the dashboard", () => {
  it("lists the sensor sending error values on the overview", async () => {
    const list = (await page.locator("#set-aside").textContent()) ?? "";
    expect(list).toContain("FAULTY-1 2 error readings (-9,999) set aside");
    expect(list).not.toContain("FINE-1");
  });

  it("says so on the sensor's page, whose figures hold only the measurements", async () => {
    await page.goto(`${dc.url}/sensors/FAULTY-1`);
    await page.waitForSelector('main[data-loaded="true"]');
    const note = page.locator("#set-aside");
    expect(await note.isVisible()).toBe(true);
    expect(await note.textContent()).toMatch(
      /^2 error readings \(-9,999\) set aside, the latest at .+ reporting faults/,
    );
    expect(await page.locator("#fig-average").textContent()).toBe("22");
    expect(await page.locator("#fig-min").textContent()).toBe("20");
    expect(await page.locator("#fig-count").textContent()).toBe("5");
  });

  it("shows no note for a sensor without error values", async () => {
    await page.goto(`${dc.url}/sensors/FINE-1`);
    await page.waitForSelector('main[data-loaded="true"]');
    expect(await page.locator("#set-aside").isVisible()).toBe(false);
  });
});
