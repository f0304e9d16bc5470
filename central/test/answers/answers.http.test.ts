/**
 * The shared answers over real HTTP: a reading acknowledged before a request is in its answer (the
 * cache never serves what an acknowledged write changed), identical requests get identical bytes
 * (one ETag) each with its own X-Request-Id, and without `at` the window ends at the last whole second.
 */
import { describe, expect, it } from "vitest";
import { atOrNow } from "../../src/averages/params.ts";
import { bearer, reading, startTestCentral, TEST_NOW } from "../http/test-central.ts";

const central = await startTestCentral();
const viewer = await central.tokenFor("viewer");
const ingestToken = await central.tokenFor("ingest");

const getAverages = () => fetch(`${central.url}/v1/averages?window=24h`, { headers: bearer(viewer) });
const post = (body: unknown) =>
  fetch(`${central.url}/v1/readings`, {
    method: "POST",
    headers: { ...bearer(ingestToken), "Content-Type": "application/json" },
    body: JSON.stringify(body),
  });

describe("shared answers over HTTP", () => {
  it("include every reading acknowledged before the request, and share the bytes otherwise", async () => {
    expect((await post(reading("EQ-1", 10, 30))).status).toBe(202);
    const first = await getAverages();
    const second = await getAverages();
    expect(second.headers.get("etag")).toBe(first.headers.get("etag"));
    expect(await second.text()).toBe(await first.text());
    expect(first.headers.get("x-request-id")).toBeTruthy();
    expect(second.headers.get("x-request-id")).not.toBe(first.headers.get("x-request-id"));

    expect((await post(reading("EQ-1", 20, 5))).status).toBe(202);
    const third = (await (await getAverages()).json()) as { to: string; sensors: { count: number }[] };
    expect(third.sensors[0]?.count).toBe(2);
    expect(third.to).toBe(new Date(TEST_NOW).toISOString());
  });

  it("end the window at the request's last whole second when no `at` is given", () => {
    expect(atOrNow(undefined, () => Date.parse("2026-03-08T09:31:17.042Z"))).toBe(
      Date.parse("2026-03-08T09:31:17.000Z"),
    );
    expect(atOrNow("2026-03-08T09:31:17.042Z", () => 0)).toBe(Date.parse("2026-03-08T09:31:17.042Z"));
  });
});
