/**
 * A reading published over MQTT with a timestamp outside 1970-01-01T00:00:00Z <= t < 2200-01-01T00:00:00Z
 * (a device clock that lost its time) is quarantined with the range as its reason, never buffered, so it
 * can never be forwarded to central.
 */
import type { MqttClient } from "mqtt";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { connectDevice, startTestEdge, storedKeys, type TestEdge, wire } from "./support/edge.ts";

const T = 1_700_000_000_000;

describe("MQTT and the accepted time range", () => {
  let edge: TestEdge;
  let client: MqttClient;

  beforeAll(async () => {
    edge = await startTestEdge();
    const password = await edge.addDevice("EQ-R");
    client = await connectDevice(edge.ports.mqtt, { username: "EQ-R", password });
  });
  afterAll(async () => {
    await client.endAsync();
    await edge.stop();
  });

  const latest = () =>
    edge.parts.db
      .prepare("SELECT item_index, reason_code, reason FROM quarantine ORDER BY id DESC LIMIT 1")
      .get();

  it.each([
    ["0001-01-01T00:00:00Z", "is before 1970-01-01T00:00:00Z, the earliest plantlink accepts"],
    ["1969-12-31T23:59:59.999Z", "is before 1970-01-01T00:00:00Z"],
    ["2200-01-01T00:00:00Z", "is at or after 2200-01-01T00:00:00Z"],
  ])("quarantines a reading at %s and buffers only its valid neighbour", async (timestamp, reason) => {
    const before = storedKeys(edge).size;
    const good = wire("EQ-R", T + before);
    await client.publishAsync(
      "readings/EQ-R",
      JSON.stringify([good, { equipmentId: "EQ-R", value: 1, timestamp }]),
      { qos: 1 },
    );
    expect(latest()).toEqual({
      item_index: 1,
      reason_code: "invalid_reading",
      reason: expect.stringContaining(reason),
    });
    expect(storedKeys(edge).size).toBe(before + 1);
  });
});
