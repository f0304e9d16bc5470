/**
 * Packet sizes are capped where the bytes arrive (broker/packet-guard.ts): a packet announcing more
 * than the limits is refused at its fixed header — the connection closed before its body is read —
 * whether the sender has logged in or not. Raw TCP, so the test controls every byte.
 */
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { connectDevice, startTestEdge, type TestEdge, wire } from "./support/edge.ts";
import {
  connectPacket,
  publishHead,
  publishPacket,
  type RawClient,
  rawConnect,
  remainingLength,
  trickle,
} from "./support/raw-mqtt.ts";

const MB = 1024 * 1024;
/** Bytes the test offers after the header; a broker that buffers the packet takes them all. */
const OFFERED = 20 * MB;

/** Sends `head`, then trickles up to OFFERED bytes; answers what was written and how long the close took. */
async function offer(client: RawClient, head: Buffer) {
  const started = performance.now();
  client.socket.write(head);
  const written = await Promise.race([
    trickle(client, OFFERED),
    new Promise<number>((resolve) => setTimeout(() => resolve(-1), 5000)),
  ]);
  const closedInTime = await Promise.race([
    client.closed.then(() => true),
    new Promise<boolean>((resolve) => setTimeout(() => resolve(false), 2000)),
  ]);
  client.end();
  return { written, closedInTime, ms: performance.now() - started };
}

const rejected = async (edge: TestEdge, reason: string) => {
  const metrics = await edge.parts.metrics.registry.getSingleMetricAsString(
    "plantlink_edge_readings_rejected_total",
  );
  const line = metrics.split("\n").find((l) => l.includes(`reason="${reason}"`));
  return line ? Number(line.split(" ").at(-1)) : 0;
};

describe("MQTT packet size at the parser", () => {
  let edge: TestEdge;
  let password: string;

  beforeAll(async () => {
    edge = await startTestEdge({ PLANTLINK_MQTT_MAX_PAYLOAD_BYTES: "1KB" });
    password = await edge.addDevice("EQ-BIG");
  });
  afterAll(() => edge.stop());

  it("closes a connection whose first packet announces 256 MB, before reading 20 MB of it", async () => {
    const client = await rawConnect(edge.ports.mqtt);
    const result = await offer(client, Buffer.concat([Buffer.from([0x10]), remainingLength(268_435_455)]));
    expect(result.closedInTime).toBe(true);
    // Loopback socket buffers hold a few MB at most; a broker that kept reading would take all 20.
    expect(result.written).toBeGreaterThanOrEqual(0);
    expect(result.written).toBeLessThan(OFFERED);
    expect(await rejected(edge, "packet_too_large")).toBe(1);
    expect(
      edge.logs.some((l) => l.code === "packet_too_large" && /a CONNECT may have/.test(String(l.reason))),
    ).toBe(true);
  });

  it("closes a CONNECT of more than 64 KiB at its header", async () => {
    const client = await rawConnect(edge.ports.mqtt);
    const head = connectPacket({ clientId: "x", username: "u".repeat(40_000), password: "y".repeat(40_000) });
    client.socket.write(head.subarray(0, 4));
    await expect(client.closed).resolves.toBeUndefined();
    expect(client.bytes().length).toBe(0);
  });

  it("refuses a logged-in device's 100 MB PUBLISH at its header, and records the refusal without the body", async () => {
    const client = await rawConnect(edge.ports.mqtt);
    client.socket.write(connectPacket({ clientId: "big", username: "EQ-BIG", password }));
    expect(await client.connack()).toEqual({ sessionPresent: false, returnCode: 0 });
    const result = await offer(client, publishHead("readings/EQ-BIG", 100 * MB));
    expect(result.closedInTime).toBe(true);
    expect(result.written).toBeLessThan(OFFERED);
    // No PUBACK: the device keeps the message.
    expect(client.bytes().some((byte, i) => i > 3 && byte >> 4 === 4)).toBe(false);

    const row = await vi.waitFor(() => {
      const found = edge.parts.db
        .prepare("SELECT origin, client, reason_code, reason, length(raw) AS kept, size FROM quarantine")
        .get() as Record<string, unknown> | undefined;
      if (!found) throw new Error("no quarantine record yet");
      return found;
    });
    expect(row).toMatchObject({
      origin: "readings/EQ-BIG",
      client: "EQ-BIG",
      reason_code: "oversize",
      kept: 0,
      size: 100 * MB,
    });
    expect(String(row.reason)).toMatch(/limit is 1000 .*PLANTLINK_MQTT_MAX_PAYLOAD_BYTES/);
    expect(await rejected(edge, "payload_too_large")).toBe(1);
  });

  it("refuses a payload one byte over the limit and accepts one at the limit", async () => {
    const client = await rawConnect(edge.ports.mqtt);
    client.socket.write(connectPacket({ clientId: "edge-of-limit", username: "EQ-BIG", password }));
    await client.connack();
    const reading = JSON.stringify(wire("EQ-BIG", Date.now() - 1000));
    const atLimit = reading + " ".repeat(1000 - reading.length);
    client.socket.write(publishPacket("readings/EQ-BIG", atLimit, 1, 7));
    const puback = await client.received(4);
    expect([...puback]).toEqual([0x40, 2, 0, 7]);

    client.socket.write(publishPacket("readings/EQ-BIG", `${atLimit} `, 1, 8));
    await expect(client.closed).resolves.toBeUndefined();
    expect(await rejected(edge, "payload_too_large")).toBe(2);
  });

  it("lets an ordinary device publish after all this", async () => {
    const client = await connectDevice(edge.ports.mqtt, { username: "EQ-BIG", password });
    await client.publishAsync("readings/EQ-BIG", JSON.stringify(wire("EQ-BIG", Date.now() - 500)), {
      qos: 1,
    });
    await client.endAsync();
  });
});
