/**
 * GET /v1/averages over real HTTP: the answer equals the raw rows' aggregates for an `at` given in a
 * local offset, the equipmentId filter, 400 problems that name the allowed values, and conditional
 * GET (ETag, Cache-Control, 304).
 */
import { describe, expect, it } from "vitest";
import { DAY, MINUTE, regular, store } from "../equipment/fleet.ts";
import { bearer, startTestCentral } from "../http/test-central.ts";
import { answerFigures, rawFigures } from "./raw-figures.ts";

const central = await startTestCentral();
const viewer = await central.tokenFor("viewer");
const NOW = Date.parse("2026-03-08T09:31:17.042Z"); // the US DST change, 04:31 in New York
await store(central.db.sql, [
  ...regular("EQ-A", NOW - 40 * DAY, NOW + DAY, 7 * MINUTE + 13, (i) => ((i * 37) % 2001) - 1000),
  ...regular("EQ-B", NOW - 3 * DAY, NOW, 3 * MINUTE, (i) => i),
  ...regular("EQ-C", NOW - 10 * DAY, NOW - 9 * DAY, MINUTE, () => 42),
]);

const get = (query: string, headers: Record<string, string> = {}) =>
  fetch(`${central.url}/v1/averages?${query}`, { headers: { ...bearer(viewer), ...headers } });

type Answer = {
  window: string;
  from: string;
  to: string;
  sensors: {
    equipmentId: string;
    count: number;
    average: number;
    sum: number;
    min: number;
    max: number;
    first: string;
    last: string;
  }[];
};

describe("GET /v1/averages", () => {
  it("equals the raw rows' aggregates for every window, with `at` in a local offset", async () => {
    const at = encodeURIComponent("2026-03-08T04:31:17.042-05:00");
    for (const window of ["24h", "48h", "1w", "1m"] as const) {
      const response = await get(`window=${window}&at=${at}`);
      expect(response.status).toBe(200);
      const body = (await response.json()) as Answer;
      const ms = { "24h": DAY, "48h": 2 * DAY, "1w": 7 * DAY, "1m": 30 * DAY }[window];
      expect(body).toMatchObject({
        window,
        from: new Date(NOW - ms).toISOString(),
        to: new Date(NOW).toISOString(),
      });
      const raw = await rawFigures(central.db.sql, NOW - ms, NOW);
      expect(answerFigures(body.sensors)).toEqual(raw);
      expect(raw.length).toBeGreaterThan(0);
    }
  });

  it("answers only the sensors asked for with repeated equipmentId", async () => {
    const at = new Date(NOW).toISOString();
    const body = (await (
      await get(`window=1m&at=${at}&equipmentId=EQ-C&equipmentId=EQ-A&equipmentId=NONE`)
    ).json()) as Answer;
    expect(body.sensors.map((s) => s.equipmentId)).toEqual(["EQ-A", "EQ-C"]);
    const one = (await (await get(`window=24h&at=${at}&equipmentId=EQ-B`)).json()) as Answer;
    expect(one.sensors.map((s) => s.equipmentId)).toEqual(["EQ-B"]);
  });

  it("answers only the sensors last sent by an edge with edgeId", async () => {
    await store(central.db.sql, [{ equipmentId: "EQ-SITE", ts: NOW - 5 * MINUTE, centi: 5 }], "site-a");
    const at = new Date(NOW).toISOString();
    const site = (await (await get(`window=24h&at=${at}&edgeId=site-a`)).json()) as Answer;
    expect(site.sensors.map((s) => s.equipmentId)).toEqual(["EQ-SITE"]);
    const none = (await (await get(`window=24h&at=${at}&edgeId=site-a&equipmentId=EQ-B`)).json()) as Answer;
    expect(none.sensors).toEqual([]);
  });

  it("refuses a bad window, at or equipmentId with a 400 problem naming the allowed values", async () => {
    for (const [query, field, reason] of [
      ["window=7d", "window", /window must be one of 24h, 48h, 1w, 1m, got "7d"/],
      ["", "window", /window must be one of 24h, 48h, 1w, 1m/],
      ["window=24h&at=2026-03-08T04:31:17", "at", /no UTC offset/],
      ["window=24h&equipmentId=%20bad", "equipmentId", /./],
    ] as const) {
      const response = await get(query);
      expect(response.status, query).toBe(400);
      expect(response.headers.get("content-type")).toContain("application/problem+json");
      const problem = (await response.json()) as { errors: { field: string; reason: string }[] };
      expect(problem.errors.find((e) => e.field === field)?.reason, query).toMatch(reason);
    }
  });

  it("carries an ETag and Cache-Control suited to the window, and answers 304 to a matching If-None-Match", async () => {
    const query = `window=1w&at=${new Date(NOW).toISOString()}`;
    const first = await get(query);
    const etag = first.headers.get("etag");
    expect(etag).toMatch(/^"[\w-]+"$/);
    expect(first.headers.get("cache-control")).toBe("private, max-age=60, must-revalidate");
    expect((await get("window=24h")).headers.get("cache-control")).toBe(
      "private, max-age=15, must-revalidate",
    );

    const again = await get(query, { "If-None-Match": etag! });
    expect(again.status).toBe(304);
    expect(await again.text()).toBe("");
    expect(again.headers.get("etag")).toBe(etag);
    expect((await get(query, { "If-None-Match": `W/${etag}, "other"` })).status).toBe(304);

    // New data in the window changes the answer and its tag.
    await store(central.db.sql, [{ equipmentId: "EQ-B", ts: NOW - 1, centi: 1 }]);
    const changed = await get(query, { "If-None-Match": etag! });
    expect(changed.status).toBe(200);
    expect(changed.headers.get("etag")).not.toBe(etag);
  });
});
