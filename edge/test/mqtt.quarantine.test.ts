/**
 * Nothing silently lost (DESIGN.md 5.3): what a device publishes is either stored or quarantined with
 * its raw bytes and a reason, and counted — acknowledged either way, so the device does not resend a
 * payload that can never pass. A bad item in an array never takes the good ones next to it down.
 */

import type { MqttClient } from "mqtt";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { connectDevice, startTestEdge, storedKeys, type TestEdge, wire } from "./support/edge.ts";

const T = 1_700_000_000_000;

describe("MQTT quarantine", () => {
  let edge: TestEdge;
  let client: MqttClient;
  let password: string;

  beforeAll(async () => {
    edge = await startTestEdge({ PLANTLINK_MQTT_MAX_PAYLOAD_BYTES: "1KB" });
    password = await edge.addDevice("EQ-Q");
    client = await connectDevice(edge.ports.mqtt, { username: "EQ-Q", password });
  });
  afterAll(async () => {
    await client.endAsync();
    await edge.stop();
  });

  const quarantined = () =>
    edge.parts.db
      .prepare("SELECT origin, item_index, reason_code, reason, raw, size FROM quarantine ORDER BY id")
      .all() as {
      origin: string;
      item_index: number | null;
      reason_code: string;
      reason: string;
      raw: Buffer;
      size: number;
    }[];
  const latest = () => quarantined().at(-1);

  it("quarantines a payload that is not JSON, with its raw bytes, and acknowledges it", async () => {
    await client.publishAsync("readings/EQ-Q", Buffer.from("temp=78.4"), { qos: 1 });
    expect(latest()).toMatchObject({
      origin: "readings/EQ-Q",
      item_index: null,
      reason_code: "invalid_json",
      size: 9,
    });
    expect(latest()?.raw.toString()).toBe("temp=78.4");
    expect(latest()?.reason).toMatch(/not JSON/);
  });

  it("quarantines a reading that fails validation, with the validator's reason", async () => {
    await client.publishAsync(
      "readings/EQ-Q",
      JSON.stringify({ equipmentId: "EQ-Q", value: 1, timestamp: "2024-01-01T00:00:00" }),
      {
        qos: 1,
      },
    );
    expect(latest()).toMatchObject({ reason_code: "invalid_reading" });
    expect(latest()?.reason).toMatch(/no UTC offset/);
  });

  it("quarantines a reading whose equipmentId does not match the topic", async () => {
    await client.publishAsync("readings/EQ-Q", JSON.stringify(wire("EQ-OTHER", T)), { qos: 1 });
    expect(latest()).toMatchObject({ reason_code: "topic_mismatch" });
    expect(latest()?.reason).toMatch(/EQ-OTHER.*readings\/EQ-Q/);
    expect(storedKeys(edge).has(`EQ-OTHER|${T}|125`)).toBe(false);
  });

  it("refuses an oversize payload at its header, unacknowledged, and records it without the body", async () => {
    // Its own connection: the refusal closes it (mqtt.packet-size.test.ts covers the byte level).
    const other = await connectDevice(edge.ports.mqtt, { username: "EQ-Q", password });
    const closed = new Promise<void>((resolve) => other.once("close", () => resolve()));
    let acked = false;
    other.publish("readings/EQ-Q", Buffer.alloc(3000, 0x20), { qos: 1 }, (error) => {
      if (!error) acked = true;
    });
    await closed;
    other.end(true);
    expect(acked).toBe(false);
    await vi.waitFor(() => expect(latest()).toMatchObject({ reason_code: "oversize", size: 3000 }));
    expect(latest()?.origin).toBe("readings/EQ-Q");
    expect(latest()?.raw.length).toBe(0);
    expect(latest()?.reason).toMatch(/payload of 3000 bytes; the limit is 1000/);
  });

  it("stores the valid readings of an array and quarantines each bad item with its index", async () => {
    const payload = [
      wire("EQ-Q", T + 1000),
      { equipmentId: "EQ-Q", value: "hot", timestamp: "2024-01-01T00:00:00Z" },
      wire("EQ-Q", T + 2000),
      wire("EQ-X", T + 3000),
    ];
    const before = quarantined().length;
    await client.publishAsync("readings/EQ-Q", JSON.stringify(payload), { qos: 1 });
    const stored = storedKeys(edge);
    expect(stored.has(`EQ-Q|${T + 1000}|125`)).toBe(true);
    expect(stored.has(`EQ-Q|${T + 2000}|125`)).toBe(true);
    const added = quarantined().slice(before);
    expect(added.map((q) => [q.item_index, q.reason_code])).toEqual([
      [1, "invalid_reading"],
      [3, "topic_mismatch"],
    ]);
    expect(JSON.parse(added[0]?.raw.toString() ?? "")).toEqual(payload[1]);
  });

  it("quarantines QoS 0 payloads too", async () => {
    const before = quarantined().length;
    await client.publishAsync("readings/EQ-Q", "{", { qos: 0 });
    // QoS 0 has no acknowledgement to wait for: a QoS 1 publish behind it on the same connection does.
    await client.publishAsync("readings/EQ-Q", JSON.stringify(wire("EQ-Q", T + 9000)), { qos: 1 });
    expect(quarantined().length).toBe(before + 1);
  });

  it("counts every quarantined payload by reason in /metrics and in /v1/status", async () => {
    const metrics = await (await fetch(`http://127.0.0.1:${edge.ports.http}/metrics`)).text();
    for (const [reason, n] of [
      ["invalid_json", 2],
      ["invalid_reading", 2],
      ["topic_mismatch", 2],
      ["oversize", 1],
    ] as const) {
      expect(metrics).toContain(`plantlink_edge_quarantined_total{source="mqtt",reason="${reason}"} ${n}`);
    }
    expect(metrics).toContain("plantlink_edge_quarantine_rows 7");
    const status = (await (await fetch(`http://127.0.0.1:${edge.ports.http}/v1/status`)).json()) as {
      quarantined: number;
    };
    expect(status.quarantined).toBe(7);
  });
});
