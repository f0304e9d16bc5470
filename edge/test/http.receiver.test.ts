/**
 * POST /v1/readings (DESIGN.md section 3): gateway or device credentials required; atomic — all valid
 * → committed, then 202 {"accepted": n}; any invalid → 400 problem+json naming each bad item, nothing
 * stored; a body over the limit → 413.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { generateGatewayToken, hashToken } from "../src/buffer/credentials.ts";
import { runCli } from "./support/child.ts";
import { httpUrl, startTestEdge, storedKeys, type TestEdge, testEnv, wire } from "./support/edge.ts";

const T = 1_700_000_000_000;

describe("HTTP receiver", () => {
  let edge: TestEdge;
  let token: string;
  let devicePassword: string;

  beforeAll(async () => {
    edge = await startTestEdge({ PLANTLINK_HTTP_MAX_BODY_BYTES: "10KB" });
    token = generateGatewayToken();
    edge.parts.registry.addGateway("line-3", hashToken(token), Date.now());
    devicePassword = await edge.addDevice("EQ-H");
  });
  afterAll(() => edge.stop());

  const post = (body: unknown, headers: Record<string, string> = { authorization: `Bearer ${token}` }) =>
    fetch(httpUrl(edge, "/v1/readings"), {
      method: "POST",
      headers: { "content-type": "application/json", ...headers },
      body: typeof body === "string" ? body : JSON.stringify(body),
    });

  it("answers 401 without a token, with a problem document", async () => {
    const response = await post([wire("EQ-1", T)], {});
    expect(response.status).toBe(401);
    expect(response.headers.get("content-type")).toBe("application/problem+json");
    expect(await response.json()).toMatchObject({ status: 401, title: "Unauthorized" });
  });

  it("answers 401 with a wrong or revoked token", async () => {
    expect((await post([wire("EQ-1", T)], { authorization: "Bearer plgw_nope" })).status).toBe(401);
    const revoked = generateGatewayToken();
    edge.parts.registry.addGateway("old", hashToken(revoked), Date.now());
    edge.parts.registry.revokeGateway("old");
    expect((await post([wire("EQ-1", T)], { authorization: `Bearer ${revoked}` })).status).toBe(401);
  });

  it("commits a valid array, then answers 202 with the count", async () => {
    const response = await post([wire("EQ-1", T, 78.42), wire("EQ-2", T, -1.5)]);
    expect(response.status).toBe(202);
    expect(await response.json()).toEqual({ accepted: 2 });
    const stored = storedKeys(edge);
    expect(stored.has(`EQ-1|${T}|7842`)).toBe(true);
    expect(stored.has(`EQ-2|${T}|-150`)).toBe(true);
  });

  it("accepts a single reading object", async () => {
    const response = await post(wire("EQ-3", T));
    expect(response.status).toBe(202);
    expect(await response.json()).toEqual({ accepted: 1 });
  });

  it("refuses the whole request when any item is invalid: 400 naming each, nothing stored", async () => {
    const before = storedKeys(edge).size;
    const response = await post([
      wire("EQ-4", T),
      { equipmentId: "EQ-4", value: 1, timestamp: "2024-01-01 00:00" },
      { equipmentId: "EQ-4", value: null, timestamp: "2024-01-01T00:00:00Z" },
    ]);
    expect(response.status).toBe(400);
    const problem = (await response.json()) as { errors: { index: number; field: string; reason: string }[] };
    expect(problem.errors.map((e) => [e.index, e.field])).toEqual([
      [1, "timestamp"],
      [2, "value"],
    ]);
    expect(problem.errors[1]?.reason).toMatch(/JSON number/);
    expect(storedKeys(edge).size).toBe(before);
  });

  it("answers 400 to a body that is not JSON", async () => {
    const response = await post("[{");
    expect(response.status).toBe(400);
    expect(((await response.json()) as { detail: string }).detail).toMatch(/not JSON/);
  });

  it("answers 415 to a body that is not declared JSON", async () => {
    const response = await post("x", { authorization: `Bearer ${token}`, "content-type": "text/plain" });
    expect(response.status).toBe(415);
  });

  it("answers 413 to a body over PLANTLINK_HTTP_MAX_BODY_BYTES", async () => {
    const readings = Array.from({ length: 300 }, (_, i) => wire("EQ-5", T + i * 1000));
    const response = await post(readings);
    expect(response.status).toBe(413);
    expect(((await response.json()) as { detail: string }).detail).toMatch(/PLANTLINK_HTTP_MAX_BODY_BYTES/);
  });

  it("answers 413 to a chunked body (no Content-Length) once it passes the limit, and keeps serving", async () => {
    const readings = Array.from({ length: 300 }, (_, i) => wire("EQ-6", T + i * 1000));
    const json = JSON.stringify(readings);
    const chunks = [json.slice(0, 4000), json.slice(4000, 8000), json.slice(8000)];
    const response = await fetch(httpUrl(edge, "/v1/readings"), {
      method: "POST",
      headers: { "content-type": "application/json", authorization: `Bearer ${token}` },
      body: new ReadableStream({
        start(controller) {
          for (const chunk of chunks) controller.enqueue(new TextEncoder().encode(chunk));
          controller.close();
        },
      }),
      duplex: "half",
    } as RequestInit);
    expect(response.status).toBe(413);
    expect(storedKeys(edge).has(`EQ-6|${T}|125`)).toBe(false);
    expect((await post(wire("EQ-6", T))).status).toBe(202);
  });

  it("lets a device send its own readings with Basic credentials, and only its own", async () => {
    const basic = `Basic ${Buffer.from(`EQ-H:${devicePassword}`).toString("base64")}`;
    expect((await post([wire("EQ-H", T)], { authorization: basic })).status).toBe(202);
    const foreign = await post([wire("EQ-H", T + 1000), wire("EQ-OTHER", T)], { authorization: basic });
    expect(foreign.status).toBe(403);
    expect(((await foreign.json()) as { errors: { index: number }[] }).errors.map((e) => e.index)).toEqual([
      1,
    ]);
    const wrong = `Basic ${Buffer.from("EQ-H:wrong").toString("base64")}`;
    expect((await post([wire("EQ-H", T)], { authorization: wrong })).status).toBe(401);
  });

  it("counts accepted and rejected readings in /metrics", async () => {
    const metrics = await (await fetch(httpUrl(edge, "/metrics"))).text();
    expect(metrics).toContain('plantlink_edge_readings_accepted_total{source="http"} 5');
    expect(metrics).toContain(
      'plantlink_edge_readings_rejected_total{source="http",reason="invalid_reading"} 1',
    );
    expect(metrics).toContain('plantlink_edge_readings_rejected_total{source="http",reason="too_large"} 2');
  });

  // After the metrics test, whose counts these requests would change.
  it.each([
    ["0001-01-01T00:00:00Z", "is before 1970-01-01T00:00:00Z, the earliest plantlink accepts"],
    ["2200-01-01T00:00:00Z", "is at or after 2200-01-01T00:00:00Z"],
  ])("refuses a reading at %s, outside the accepted range, and stores nothing", async (timestamp, reason) => {
    const before = storedKeys(edge).size;
    const response = await post([wire("EQ-5", T), { equipmentId: "EQ-5", value: 1, timestamp }]);
    expect(response.status).toBe(400);
    expect(await response.json()).toMatchObject({
      errors: [{ index: 1, field: "timestamp", reason: expect.stringContaining(reason) }],
    });
    expect(storedKeys(edge).size).toBe(before);
  });
});

describe("HTTP receiver: gateway tokens revoked while in use", () => {
  let edge: TestEdge;
  beforeAll(async () => {
    edge = await startTestEdge();
  });
  afterAll(() => edge.stop());

  const post = (gatewayToken: string, at: number) =>
    fetch(httpUrl(edge, "/v1/readings"), {
      method: "POST",
      headers: { "content-type": "application/json", authorization: `Bearer ${gatewayToken}` },
      body: JSON.stringify(wire("EQ-R", at)),
    });

  it("refuses a token used a moment ago as soon as it is revoked, here or by the CLI", async () => {
    const here = generateGatewayToken();
    edge.parts.registry.addGateway("revoked-here", hashToken(here), Date.now());
    expect((await post(here, T + 1)).status).toBe(202);
    edge.parts.registry.revokeGateway("revoked-here");
    expect((await post(here, T + 2)).status).toBe(401);

    // Another process's commit: the one this process does not make itself.
    const there = generateGatewayToken();
    edge.parts.registry.addGateway("revoked-by-cli", hashToken(there), Date.now());
    expect((await post(there, T + 3)).status).toBe(202);
    const cli = await runCli(["gateway", "revoke", "revoked-by-cli"], testEnv(edge.dir));
    expect(cli.code, cli.stderr).toBe(0);
    expect((await post(there, T + 4)).status).toBe(401);
  });
});
