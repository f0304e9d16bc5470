/**
 * Every failure answer is RFC 9457 problem+json with a status, a title and a reason a person can act
 * on — including ones nobody planned for (a bug in a handler becomes a 500 problem, not a stack trace).
 */
import { gzipSync } from "node:zlib";
import { createRoute } from "@hono/zod-openapi";
import { PROBLEM_CONTENT_TYPE, problemSchema } from "@plantlink/shared";
import { describe, expect, it } from "vitest";
import { defineRoute } from "../../src/http/route.ts";
import { apiRoutes } from "../../src/http/routes.ts";
import { bearer, reading, startTestCentral } from "./test-central.ts";

const boom = defineRoute({
  roles: ["viewer"],
  route: createRoute({ method: "get", path: "/v1/test/boom", responses: { 204: { description: "never" } } }),
  handler: () => () => {
    throw new Error("secret internal detail");
  },
});

// Not an Error: Hono hands only Errors to the app's error handler, the rest would reach the Node adapter.
const boomValue = defineRoute({
  roles: ["viewer"],
  route: createRoute({
    method: "get",
    path: "/v1/test/boom-value",
    responses: { 204: { description: "never" } },
  }),
  handler: () => () => {
    throw "secret internal detail";
  },
});

const central = await startTestCentral({
  routes: [...apiRoutes, boom, boomValue],
  limits: { bodyBytes: 2_000, decompressedBytes: 50_000 },
});
const admin = await central.tokenFor("admin");
const edge = await central.tokenFor("edge", "edge-1");
const json = { "Content-Type": "application/json" };

interface Case {
  name: string;
  status: number;
  reason: RegExp;
  request: () => Promise<Response>;
  /** Expected per-item errors: [index, field] pairs. */
  errors?: [number | undefined, string][];
}

const post = (path: string, body: string | Uint8Array, headers: Record<string, string>) =>
  fetch(`${central.url}${path}`, { method: "POST", headers, body });

const cases: Case[] = [
  {
    name: "an unknown route",
    status: 404,
    reason: /no route GET \/v1\/nothing/,
    request: () => fetch(`${central.url}/v1/nothing`),
  },
  {
    name: "no token",
    status: 401,
    reason: /Authorization: Bearer/,
    request: () => post("/v1/readings", "{}", json),
  },
  {
    name: "the wrong role",
    status: 403,
    reason: /an edge token may not call POST \/v1\/readings.*an admin or ingest token/,
    request: () => post("/v1/readings", "{}", { ...json, ...bearer(edge) }),
  },
  {
    name: "an edge token sending for another edge",
    status: 403,
    reason: /bound to edge "edge-1".*"edge-2"/,
    request: () =>
      post("/v1/edge/batches", JSON.stringify({ edgeId: "edge-2", batchId: "b1", readings: [] }), {
        ...json,
        ...bearer(edge),
      }),
  },
  {
    name: "malformed JSON",
    status: 400,
    reason: /not valid JSON/,
    request: () => post("/v1/readings", '{"equipmentId": "EQ-1",', { ...json, ...bearer(admin) }),
  },
  {
    name: "a body that is not JSON",
    status: 415,
    reason: /Content-Type: application\/json/,
    request: () => post("/v1/readings", "EQ-1,1.5", { "Content-Type": "text/csv", ...bearer(admin) }),
  },
  {
    name: "an unsupported Content-Encoding",
    status: 415,
    reason: /Content-Encoding "br"/,
    request: () => post("/v1/readings", "{}", { ...json, "Content-Encoding": "br", ...bearer(admin) }),
  },
  {
    name: "a body that says gzip but is not",
    status: 400,
    reason: /not valid gzip/,
    request: () =>
      post("/v1/readings", JSON.stringify(reading("EQ-1", 1)), {
        ...json,
        "Content-Encoding": "gzip",
        ...bearer(admin),
      }),
  },
  {
    name: "a batch without its batchId",
    status: 400,
    reason: /batchId/,
    errors: [[undefined, "batchId"]],
    request: () =>
      post("/v1/edge/batches", JSON.stringify({ edgeId: "edge-1", readings: [] }), {
        ...json,
        ...bearer(edge),
      }),
  },
  {
    name: "readings with bad items",
    status: 400,
    reason: /2 of the readings are invalid; nothing was stored/,
    errors: [
      [1, "timestamp"],
      [2, "value"],
    ],
    request: () =>
      post(
        "/v1/readings",
        JSON.stringify([
          reading("EQ-1", 1),
          { equipmentId: "EQ-1", value: 2, timestamp: "2024-06-01T10:00:00" },
          { equipmentId: "EQ-1", value: "3", timestamp: "2024-06-01T10:00:00Z" },
        ]),
        { ...json, ...bearer(admin) },
      ),
  },
  {
    name: "an oversize body",
    status: 413,
    reason: /larger than 2000 bytes/,
    request: () =>
      post("/v1/readings", JSON.stringify(Array(100).fill(reading("EQ-1", 1))), {
        ...json,
        ...bearer(admin),
      }),
  },
  {
    name: "a gzip body that inflates past the limit",
    status: 413,
    reason: /inflates to more than/,
    request: () =>
      post("/v1/readings", gzipSync(" ".repeat(200_000)), {
        ...json,
        "Content-Encoding": "gzip",
        ...bearer(admin),
      }),
  },
  {
    name: "a bug in a handler",
    status: 500,
    reason: /X-Request-Id/,
    request: () => fetch(`${central.url}/v1/test/boom`, { headers: bearer(admin) }),
  },
  {
    name: "a handler that throws something other than an Error",
    status: 500,
    reason: /X-Request-Id/,
    request: () => fetch(`${central.url}/v1/test/boom-value`, { headers: bearer(admin) }),
  },
];

describe("error answers", () => {
  it.each(["/v1/test/boom", "/v1/test/boom-value"])(
    "never carry the error or a stack trace: %s",
    async (path) => {
      const response = await fetch(`${central.url}${path}`, { headers: bearer(admin) });
      const text = await response.text();
      expect(response.status).toBe(500);
      expect(text).not.toMatch(/secret internal detail|\bat .*\(|\.ts:\d+|Error:/);
    },
  );

  it.each(cases)("are problem+json with a reason for $name", async ({ status, reason, errors, request }) => {
    const response = await request();
    expect(response.status).toBe(status);
    expect(response.headers.get("content-type")).toBe(PROBLEM_CONTENT_TYPE);
    expect(response.headers.get("x-request-id")).toBeTruthy();
    const problem = problemSchema.parse(await response.json());
    expect(problem.status).toBe(status);
    expect(problem.type).toMatch(/^urn:plantlink:problem:[a-z_]+$/);
    expect(problem.title.length).toBeGreaterThan(0);
    expect(problem.detail).toMatch(reason);
    expect(problem.detail).not.toMatch(/secret internal detail/);
    if (errors) {
      expect(problem.errors?.map((e) => [e.index, e.field])).toEqual(errors);
      for (const error of problem.errors ?? []) expect(error.reason.length).toBeGreaterThan(10);
    }
  });
});
