/**
 * The buffer cap and the free-disk reserve: at either, new readings are refused with the right signal
 * (HTTP 503 + Retry-After; MQTT no PUBACK and CONNACK 3 "server unavailable"), the alarm metric is
 * raised, nothing unsynced is deleted — and once synced readings are pruned, readings flow again.
 */
import { afterEach, describe, expect, it } from "vitest";
import { generateGatewayToken, hashToken } from "../src/buffer/credentials.ts";
import { connectDevice, httpUrl, startTestEdge, type TestEdge, wire } from "./support/edge.ts";

const T = 1_700_000_000_000;
let edge: TestEdge | undefined;
afterEach(async () => {
  await edge?.stop();
  edge = undefined;
});

async function withGateway(e: TestEdge) {
  const token = generateGatewayToken();
  e.parts.registry.addGateway("gw", hashToken(token), Date.now());
  let n = 0;
  return (count: number) => {
    const readings = Array.from({ length: count }, () => wire("EQ-CAP", T + ++n * 1000));
    return fetch(httpUrl(e, "/v1/readings"), {
      method: "POST",
      headers: { "content-type": "application/json", authorization: `Bearer ${token}` },
      body: JSON.stringify(readings),
    });
  };
}

const metrics = async (e: TestEdge) => (await fetch(httpUrl(e, "/metrics"))).text();

describe("buffer cap", () => {
  it("refuses at the cap, never deletes unsynced readings, and accepts again once synced ones are pruned", async () => {
    edge = await startTestEdge({ PLANTLINK_BUFFER_MAX_BYTES: "160KB" });
    const e = edge;
    const post = await withGateway(e);
    const password = await e.addDevice("EQ-CAP");

    let response = await post(500);
    for (let i = 0; i < 100 && response.status === 202; i++) response = await post(500);
    expect(response.status).toBe(503);
    expect(response.headers.get("retry-after")).toBe("30");
    expect(((await response.json()) as { detail: string }).detail).toMatch(/PLANTLINK_BUFFER_MAX_BYTES/);
    expect(await metrics(e)).toContain('plantlink_edge_buffer_refusing{reason="buffer_full"} 1');
    expect((await fetch(httpUrl(e, "/readyz"))).status).toBe(503);
    expect(e.status().refusing).toBe("buffer_full");

    // MQTT: a new connection is refused with CONNACK 3 ...
    await expect(connectDevice(e.ports.mqtt, { username: "EQ-CAP", password })).rejects.toThrow(
      /server unavailable/i,
    );

    // ... and the cap prunes nothing that is not synced.
    const rows = e.parts.buffer.stats().rows;
    expect(e.parts.pruner.run()).toBe(0);
    expect(e.parts.buffer.stats().rows).toBe(rows);

    // The forwarder syncs everything; the pruner (under pressure: retention ignored) frees the pages.
    const seqs = e.parts.buffer.readUnsynced({ limit: 1_000_000 }).map((r) => r.seq);
    e.parts.buffer.markSynced(seqs, Date.now());
    while (e.parts.pruner.run() > 0);
    expect(e.status().refusing).toBeNull();
    expect((await post(10)).status).toBe(202);
    const client = await connectDevice(e.ports.mqtt, { username: "EQ-CAP", password });
    await client.publishAsync("readings/EQ-CAP", JSON.stringify(wire("EQ-CAP", T)), { qos: 1 });
    await client.endAsync();
    expect(await metrics(e)).toContain('plantlink_edge_buffer_refusing{reason="buffer_full"} 0');
  });

  it("disconnects an MQTT device without a PUBACK when the cap is reached while it is connected", async () => {
    edge = await startTestEdge({ PLANTLINK_BUFFER_MAX_BYTES: "160KB" });
    const e = edge;
    const post = await withGateway(e);
    const password = await e.addDevice("EQ-CAP");
    const client = await connectDevice(e.ports.mqtt, { username: "EQ-CAP", password });
    while ((await post(500)).status === 202);

    const closed = new Promise<void>((resolve) => client.once("close", () => resolve()));
    let acked = false;
    client.publish("readings/EQ-CAP", JSON.stringify(wire("EQ-CAP", T)), { qos: 1 }, (error) => {
      acked = !error;
    });
    await closed;
    client.end(true);
    expect(acked).toBe(false);
    expect(await metrics(e)).toMatch(/plantlink_edge_refused_total\{source="mqtt",reason="buffer_full"\} 1/);
  });
});

describe("free-disk reserve", () => {
  it("refuses before the disk is full and accepts again when space returns", async () => {
    let free = 10_000_000_000;
    edge = await startTestEdge({ PLANTLINK_DISK_RESERVE_BYTES: "1GB" }, { freeDiskBytes: async () => free });
    const e = edge;
    const post = await withGateway(e);
    expect((await post(1)).status).toBe(202);

    free = 500_000_000;
    await new Promise((resolve) => setTimeout(resolve, 1500)); // the reserve is checked every second
    const refused = await post(1);
    expect(refused.status).toBe(503);
    expect(((await refused.json()) as { detail: string }).detail).toMatch(/PLANTLINK_DISK_RESERVE_BYTES/);
    expect(await metrics(e)).toContain('plantlink_edge_buffer_refusing{reason="disk_reserve"} 1');

    free = 10_000_000_000;
    await new Promise((resolve) => setTimeout(resolve, 1500));
    expect((await post(1)).status).toBe(202);
  });
});
