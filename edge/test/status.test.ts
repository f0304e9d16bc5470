/** Probes, metrics and /v1/status: what a plant engineer and a monitoring system look at. */

import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { EdgeStatus } from "../src/status/status.ts";
import { connectDevice, httpUrl, startTestEdge, type TestEdge, wire } from "./support/edge.ts";

describe("status", () => {
  let edge: TestEdge;
  beforeAll(async () => {
    edge = await startTestEdge();
    const password = await edge.addDevice("EQ-ST");
    const client = await connectDevice(edge.ports.mqtt, { username: "EQ-ST", password });
    await client.publishAsync(
      "readings/EQ-ST",
      JSON.stringify([wire("EQ-ST", 1_700_000_000_000), wire("EQ-ST", 1_700_000_001_000)]),
      { qos: 1 },
    );
    await client.endAsync();
  });
  afterAll(() => edge.stop());

  it("answers /healthz and /readyz", async () => {
    expect(await (await fetch(httpUrl(edge, "/healthz"))).json()).toEqual({ status: "ok" });
    expect(await (await fetch(httpUrl(edge, "/readyz"))).json()).toEqual({ status: "ready" });
  });

  it("reports the buffer in /v1/status", async () => {
    const status = (await (await fetch(httpUrl(edge, "/v1/status"))).json()) as EdgeStatus;
    expect(status).toMatchObject({
      edgeId: "test-edge",
      running: true,
      buffered: 2,
      bufferedRows: 2,
      quarantined: 0,
      lastSuccessfulSync: null,
      lastError: null,
      refusing: null,
    });
    expect(status.oldestUnsyncedAgeMs).toBeGreaterThanOrEqual(0);
    expect(status.bufferBytes).toBeGreaterThan(0);
    expect(status.bufferMaxBytes).toBe(4_000_000_000);
  });

  it("exposes every metric the issue names", async () => {
    const text = await (await fetch(httpUrl(edge, "/metrics"))).text();
    for (const name of [
      "plantlink_edge_readings_accepted_total",
      "plantlink_edge_readings_rejected_total",
      "plantlink_edge_quarantined_total",
      "plantlink_edge_refused_total",
      "plantlink_edge_commit_batch_size_bucket",
      "plantlink_edge_commit_duration_seconds_bucket",
      "plantlink_edge_buffer_rows",
      "plantlink_edge_buffer_unsynced_rows",
      "plantlink_edge_buffer_bytes",
      "plantlink_edge_oldest_unsynced_age_seconds",
      "plantlink_edge_connected_devices",
      "plantlink_edge_event_loop_delay_seconds",
      "plantlink_edge_buffer_refusing",
    ]) {
      expect(text, name).toContain(name);
    }
    expect(text).toContain("plantlink_edge_buffer_unsynced_rows 2");
  });

  it("answers unknown routes with a problem document", async () => {
    const response = await fetch(httpUrl(edge, "/nope"));
    expect(response.status).toBe(404);
    expect(response.headers.get("content-type")).toBe("application/problem+json");
  });
});
